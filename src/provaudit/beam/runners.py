"""Turn a run config's ``beam`` mapping into Beam pipeline options and a runner.

The DirectRunner is the embedded default. Beam's DirectRunner first tries to start the
Prism runner, which it downloads when missing; provaudit never wants a download at run
time, so ``DirectRunner`` is served by Beam's FnApiRunner directly (the runner the
DirectRunner falls back to), which honours ``direct_running_mode`` and
``direct_num_workers``. Every other runner name is handed to Beam unchanged.
"""

from __future__ import annotations

from typing import Any, Iterable

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineRunner


def options_to_argv(beam: dict[str, Any]) -> list[str]:
    """Render a mapping of Beam options as command-line flags (True -> --flag, lists repeat)."""
    argv: list[str] = []
    for key in sorted(beam):
        value = beam[key]
        flag = "--" + key.lstrip("-")
        if value is True:
            argv.append(flag)
        elif value is False or value is None:
            continue
        elif isinstance(value, list):
            argv.extend(f"{flag}={v}" for v in value)
        else:
            argv.append(f"{flag}={value}")
    return argv


def pipeline_options(beam: dict[str, Any], extra_argv: Iterable[str] = ()) -> PipelineOptions:
    """Build pipeline options from the config's ``beam`` mapping, then command-line extras."""
    options = PipelineOptions(options_to_argv(beam) + list(extra_argv))
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = "DirectRunner"
    return options


def runner_name(options: PipelineOptions) -> str:
    """Return the configured runner's name."""
    runner = options.view_as(StandardOptions).runner
    return runner if isinstance(runner, str) else type(runner).__name__


def make_runner(options: PipelineOptions) -> PipelineRunner | str:
    """Return the runner to use: FnApiRunner for DirectRunner (no Prism download), else the name."""
    name = runner_name(options)
    if name.lower() not in ("directrunner", "direct"):
        return name
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    provision = fn_runner.ExtendedProvisionInfo(
        beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)
    )
    return fn_runner.FnApiRunner(provision_info=provision)
