"""OpenLineage run events for the stages of one provaudit run, through ``openlineage-python``.

Contract:

* One :class:`Lineage` per provaudit run. Each stage reports ``start`` and then exactly one of
  ``complete`` or ``fail``, with the datasets it reads and writes as ``(namespace, name)``
  pairs (the caller decides them, e.g. ``("file", "/abs/shard.jsonl")`` for a shard,
  ``("provaudit", "<source>")`` for a source, ``("file", "<run_dir>/ledger")`` for an output).
* Every event is a spec 2-0-2 ``RunEvent`` built with the client's generated classes. Job:
  namespace ``namespace``, name ``provaudit.<stage>``. The stage's ``runId`` is
  ``uuid5(RUN_NAMESPACE, "provaudit.<stage>:<run_id>")``, so START and COMPLETE/FAIL of a stage
  share it and a rerun of the same run id gives the same ids. The stage name ``run`` is
  reserved: it names the whole provaudit run.
* Run facets on every event: ``parent`` (job ``provaudit.run``, runId
  ``uuid5(RUN_NAMESPACE, "provaudit.run:<run_id>")``, also given as ``root``) so lineage tools
  group the stages of one run; ``processing_engine`` (name ``Apache Beam``, version
  ``beam_version``, ``openlineageAdapterVersion`` the client's version); and the custom
  ``provaudit`` facet (``configHash``, ``provauditVersion``, with ``_producer`` and
  ``_schemaURL``). FAIL events add ``errorMessage`` with the message string given, language
  ``python`` and no stack trace.
* ``quality`` (``complete`` only): a list of ``{"assertion": str, "success": bool,
  "column": str | None}`` (the optional assertion keys ``severity``, ``name``, ``description``,
  ``expected``, ``actual`` pass through where the installed client knows them). The spec defines
  ``DataQualityAssertionsDatasetFacet`` as an *input* dataset facet, so the facet
  ``dataQualityAssertions`` goes under ``inputFacets`` of the FIRST INPUT dataset: the one
  that was validated. A stage that checks a dataset it wrote lists that dataset first among
  its inputs too (it read it to check it). ``quality`` with no inputs is a ``ValueError``.
* Transport: every event is appended as one JSON line to ``<run_dir>/lineage.jsonl`` by the
  client's ``FileTransport`` in append mode (it writes exactly that file with
  ``Serde.to_json`` and a newline); the folder is created. Only local run folders are
  supported (a ``scheme://`` run_dir is a ``ValueError``). A failure to write the file raises.
  When ``url`` is given, each event is also POSTed with the client's ``HttpTransport``.
  ``url`` is the full endpoint (``http://host:5000/api/v1/lineage``); a URL with no path
  gets the client's default endpoint ``api/v1/lineage``. The HTTP side never fails the run:
  the first error (connection, timeout, non-2xx, after one retry) is logged once as a
  warning and HTTP is switched off for the rest of this run; the file still holds every
  event, so they can be replayed.
* Nothing is read from the environment: not ``OPENLINEAGE_URL``, ``OPENLINEAGE_CONFIG``,
  ``OPENLINEAGE_DISABLED`` nor ``openlineage.yml`` (the client's ``OpenLineageClient`` is
  not used; the transports are built from the arguments). The HTTP session is a plain
  ``requests`` session, so requests' own proxy and CA variables (``HTTPS_PROXY``,
  ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``) apply as for any requests call.
* The events follow ``schemas/openlineage-event.schema.json``, which also defines the
  ``provaudit`` run facet that ``_schemaURL`` points to.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import attr
from openlineage.client.constants import __version__ as CLIENT_VERSION
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.base import RunFacet
from openlineage.client.generated.data_quality_assertions_dataset import (
    Assertion,
    DataQualityAssertionsDatasetFacet,
)
from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
from openlineage.client.generated.parent_run import Job as ParentJob
from openlineage.client.generated.parent_run import ParentRunFacet, Root, RootJob, RootRun
from openlineage.client.generated.parent_run import Run as ParentRun
from openlineage.client.generated.processing_engine_run import ProcessingEngineRunFacet
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport

log = logging.getLogger(__name__)

#: uuid5 namespace of provaudit's OpenLineage run ids (itself uuid5 of a provaudit URL).
RUN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pypi.org/project/provaudit/")
#: The job name of the whole provaudit run, parent of every stage's job.
PARENT_JOB = "provaudit.run"
#: Where the ``provaudit`` run facet is defined.
SCHEMA_ID = "https://provaudit.invalid/schemas/openlineage-event.schema.json"
FACET_SCHEMA_URL = f"{SCHEMA_ID}#/$defs/ProvauditRunFacet"
LINEAGE_FILE = "lineage.jsonl"
DEFAULT_ENDPOINT = "api/v1/lineage"
HTTP_TIMEOUT_S = 5.0
# one retry on connection errors and 5xx, then give up (the file keeps the event)
HTTP_RETRY = {"total": 1, "connect": 1, "read": 1, "status": 1, "backoff_factor": 0.5,
              "status_forcelist": [500, 502, 503, 504], "allowed_methods": ["POST"]}
# the keys a quality item may have: those the installed client's Assertion knows (1.33 knows
# only the first three)
_ASSERTION_KEYS = {"assertion", "success", "column", "severity", "name", "description",
                   "expected", "actual"} & set(attr.fields_dict(Assertion))

Datasets = Iterable[tuple[str, str]]


@attr.define
class ProvauditRunFacet(RunFacet):
    """The custom ``provaudit`` run facet: which config and which provaudit made the run."""

    configHash: str = attr.field(default="")  # camelCase, as OpenLineage facets are
    provauditVersion: str = attr.field(default="")

    @staticmethod
    def _get_schema() -> str:
        return FACET_SCHEMA_URL


def run_uuid(run_id: str, job: str = PARENT_JOB) -> str:
    """Return the OpenLineage runId of job ``job`` (``provaudit.<stage>``) in run ``run_id``."""
    return str(uuid.uuid5(RUN_NAMESPACE, f"{job}:{run_id}"))


def _split_url(url: str) -> tuple[str, str]:
    """Split an endpoint URL into the client's (base url, endpoint) pair."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"lineage url {url!r}: need an http(s) URL with a host")
    endpoint = parts.path.lstrip("/") or DEFAULT_ENDPOINT
    if parts.query:
        endpoint += f"?{parts.query}"
    return f"{parts.scheme}://{parts.netloc}/", endpoint


def _redact(url: str) -> str:
    """The URL without user:password, for log lines."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def _assertions(quality: list[dict]) -> list[Assertion]:
    found = []
    for item in quality:
        unknown = set(item) - _ASSERTION_KEYS
        valid = isinstance(item.get("assertion"), str) and isinstance(item.get("success"), bool)
        if unknown or not valid:
            raise ValueError(f"quality item {item!r}: need 'assertion' (str) and 'success' (bool), "
                             f"optional {sorted(_ASSERTION_KEYS - {'assertion', 'success'})}")
        found.append(Assertion(**item))
    return found


class Lineage:
    """Emit OpenLineage run events (START, COMPLETE, FAIL) for provaudit's stages of one run."""

    def __init__(self, run_dir: str, run_id: str, namespace: str = "provaudit",
                 url: str | None = None, config_hash: str = "", beam_version: str = "",
                 provaudit_version: str = "") -> None:
        if "://" in run_dir:
            raise ValueError(f"{run_dir}: lineage is written to local run folders only")
        self.run_dir = run_dir
        self.run_id = run_id
        self.namespace = namespace
        self.path = os.path.join(run_dir, LINEAGE_FILE)
        self.producer = f"https://pypi.org/project/provaudit/{provaudit_version or 'unknown'}"
        self.config_hash = config_hash
        self.beam_version = beam_version
        self.provaudit_version = provaudit_version
        self._file = FileTransport(FileConfig(log_file_path=self.path, append=True))
        self._url = url
        self._http: HttpTransport | None = None
        if url is not None:
            base, endpoint = _split_url(url)
            self._http = HttpTransport(HttpConfig(url=base, endpoint=endpoint,
                                                  timeout=HTTP_TIMEOUT_S, retry=dict(HTTP_RETRY)))

    def start(self, stage: str, inputs: list[tuple[str, str]],
              outputs: list[tuple[str, str]]) -> None:
        """Report that ``stage`` started reading ``inputs`` to write ``outputs``."""
        self._emit(RunState.START, stage, inputs, outputs)

    def complete(self, stage: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]],
                 quality: list[dict] | None = None) -> None:
        """Report that ``stage`` finished; ``quality`` goes on the first input (module doc)."""
        self._emit(RunState.COMPLETE, stage, inputs, outputs, quality=quality)

    def fail(self, stage: str, inputs, outputs, error: str) -> None:
        """Report that ``stage`` failed with message ``error`` (the message only, no trace)."""
        facet = ErrorMessageRunFacet(message=str(error), programmingLanguage="python",
                                     producer=self.producer)
        self._emit(RunState.FAIL, stage, inputs, outputs, extra={"errorMessage": facet})

    # -- building and sending ---------------------------------------------------------------

    def _run_facets(self) -> dict[str, RunFacet]:
        parent_id = run_uuid(self.run_id)
        return {
            "parent": ParentRunFacet(
                run=ParentRun(runId=parent_id),
                job=ParentJob(namespace=self.namespace, name=PARENT_JOB),
                root=Root(run=RootRun(runId=parent_id),
                          job=RootJob(namespace=self.namespace, name=PARENT_JOB)),
                producer=self.producer),
            "processing_engine": ProcessingEngineRunFacet(
                version=self.beam_version, name="Apache Beam",
                openlineageAdapterVersion=CLIENT_VERSION, producer=self.producer),
            "provaudit": ProvauditRunFacet(configHash=self.config_hash,
                                           provauditVersion=self.provaudit_version,
                                           producer=self.producer),
        }

    def _event(self, state: RunState, stage: str, inputs: Datasets, outputs: Datasets,
               quality: list[dict] | None = None,
               extra: dict[str, RunFacet] | None = None) -> RunEvent:
        if not stage or stage == "run":
            raise ValueError(f"stage {stage!r}: give a stage name other than 'run' (the whole run)")
        job = f"provaudit.{stage}"
        ins = [InputDataset(namespace=ns, name=name) for ns, name in inputs]
        outs = [OutputDataset(namespace=ns, name=name) for ns, name in outputs]
        if quality:
            if not ins:
                raise ValueError(f"{job}: quality assertions need the validated dataset "
                                 "as first input")
            ins[0].inputFacets = {"dataQualityAssertions": DataQualityAssertionsDatasetFacet(
                assertions=_assertions(quality), producer=self.producer)}
        return RunEvent(
            eventType=state,
            eventTime=datetime.now(timezone.utc).isoformat(),
            run=Run(runId=run_uuid(self.run_id, job),
                    facets={**self._run_facets(), **(extra or {})}),
            job=Job(namespace=self.namespace, name=job),
            inputs=ins,
            outputs=outs,
            producer=self.producer,
        )

    def _emit(self, state: RunState, stage: str, inputs: Datasets, outputs: Datasets,
              quality: list[dict] | None = None, extra: dict[str, Any] | None = None) -> None:
        event = self._event(state, stage, inputs, outputs, quality=quality, extra=extra)
        os.makedirs(self.run_dir, exist_ok=True)
        self._file.emit(event)
        http = self._http
        if http is None:
            return
        try:
            http.emit(event)
        except Exception as error:  # noqa: BLE001 - lineage over HTTP must never fail the run
            log.warning("OpenLineage endpoint %s failed (%s: %s); lineage events go to %s only "
                        "for the rest of this run", _redact(str(self._url)), type(error).__name__,
                        error, self.path)
            self._http = None
        finally:
            close = getattr(http, "close", None)  # clients before 1.35 keep no session open
            if close is not None:
                close()  # no pooled socket left open between stages
