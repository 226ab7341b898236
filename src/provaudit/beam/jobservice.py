"""Beam's Python job service, running each job on as many SDK workers as the job asks for.

    python -m provaudit.beam.jobservice --port 8099

Beam's own ``apache_beam.runners.portability.local_job_service_main`` runs every job with
one SDK worker, whatever the job's ``--sdk_worker_parallelism`` says: its runner (the
FnApiRunner) reads the worker count only from ``direct_num_workers`` when it builds the
pipeline itself, which a job service never does. Flink, Spark and Dataflow honour
``sdk_worker_parallelism``; this module makes the local job service honour it too, so the
PortableRunner with an external worker pool on loopback runs a stage on N worker
processes, the way a cluster would. It takes every flag of Beam's job service (``--help``)
and changes nothing else: the job runs in Beam's FnApiRunner, splitting each stage's input
among the workers.
"""

from __future__ import annotations

import sys
from typing import Any

from apache_beam.options.pipeline_options import DirectOptions, PortableOptions
from apache_beam.portability.api import beam_job_api_pb2
from apache_beam.runners.portability import local_job_service, local_job_service_main
from apache_beam.runners.portability.fn_api_runner import fn_runner


def requested_workers(options: Any) -> int:
    """The SDK workers a job asks for: ``sdk_worker_parallelism``, else ``direct_num_workers``, else 1."""
    parallelism = options.view_as(PortableOptions).sdk_worker_parallelism
    if parallelism and int(parallelism) > 0:
        return int(parallelism)
    direct = options.view_as(DirectOptions).direct_num_workers
    return int(direct) if direct and int(direct) > 0 else 1


class _Runner(fn_runner.FnApiRunner):
    """Beam's FnApiRunner with its worker count set from the job's options."""

    def __init__(self, workers: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._num_workers = workers


def _invoke_runner(job: local_job_service.BeamJob) -> Any:
    # Beam's BeamJob._invoke_runner, with the worker count the job asked for
    job.set_state(beam_job_api_pb2.JobState.RUNNING)
    options = job.pipeline_options()
    return _Runner(requested_workers(options), provision_info=job._provision_info).run_via_runner_api(
        job._pipeline_proto, options)


def main(argv: list[str] | None = None) -> None:
    """Start Beam's job service with jobs run on the SDK workers they ask for."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--background" in args:
        # Beam's --background restarts its own module, which would drop the worker count
        raise SystemExit("provaudit.beam.jobservice: --background is not supported; "
                         "start it in the background with your shell (&) or a service manager")
    local_job_service.BeamJob._invoke_runner = _invoke_runner
    local_job_service_main.run(args)


if __name__ == "__main__":
    main()
