"""The scheduling examples under examples/ (cron, systemd, Airflow) are well-formed.

The Airflow check runs only where Airflow and its Apache Beam provider are installed (never
in the project's own virtualenv: Airflow's pins conflict with the project's), e.g.::

    python3 -m venv /tmp/airflow-venv
    /tmp/airflow-venv/bin/pip install "apache-airflow>=2.9" apache-airflow-providers-apache-beam \\
        apache-airflow-providers-google pytest pyyaml
    AIRFLOW_HOME=/tmp/airflow-home AIRFLOW__CORE__LOAD_EXAMPLES=False \\
        /tmp/airflow-venv/bin/python -m pytest -p no:cacheprovider tests/test_examples.py
"""

from __future__ import annotations

import configparser
import inspect
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CRONTAB = EXAMPLES / "cron" / "provaudit.crontab"
SERVICE = EXAMPLES / "systemd" / "provaudit-nightly.service"
TIMER = EXAMPLES / "systemd" / "provaudit-nightly.timer"
DAG_FILE = EXAMPLES / "airflow" / "provaudit_nightly.py"
ALL_EXAMPLES = [CRONTAB, SERVICE, TIMER, DAG_FILE]


# --- Airflow ---------------------------------------------------------------------------

def _parameters(cls: type) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters)


def test_airflow_dag_loads(tmp_path_factory: pytest.TempPathFactory,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Keep Airflow's home and config out of ~/airflow unless the caller chose one; these
    # must be set before airflow is first imported.
    if "AIRFLOW_HOME" not in os.environ:
        monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    pytest.importorskip("airflow")
    pytest.importorskip("airflow.providers.apache.beam")
    from airflow.models import DagBag
    from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

    # Airflow 2 takes include_examples; Airflow 3.3 no longer does (examples are then
    # governed by AIRFLOW__CORE__LOAD_EXAMPLES, set above).
    kwargs = {"include_examples": False} if "include_examples" in _parameters(DagBag) else {}
    bag = DagBag(dag_folder=str(DAG_FILE), **kwargs)
    assert bag.import_errors == {}, (
        "the DAG does not load; the Beam provider's operators also need "
        f"apache-airflow-providers-google installed: {bag.import_errors}")
    assert list(bag.dag_ids) == ["provaudit_nightly"]
    dag = bag.dags["provaudit_nightly"]  # not get_dag(): that reads Airflow's database
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert len(dag.tasks) == 1
    task = dag.tasks[0]
    assert isinstance(task, BeamRunPythonPipelineOperator)
    assert task.py_file.endswith("pipelines/nightly.py")
    assert task.runner == "DirectRunner"
    assert "config" in task.pipeline_options
    assert task.pipeline_options.get("fail-on") == "new"
    assert task.py_requirements is None  # the installed provaudit is used as it is
    assert task.retries == 0, (
        "a retry of a night that exited 1 compares against that (complete) night and "
        "passes: retries would hide newly failing expectations")
    # The schedule: `schedule` is kept as given in Airflow 3, as a timetable in Airflow 2.
    timetable = getattr(dag, "timetable", None)
    expression = getattr(timetable, "_expression", None) or getattr(dag, "schedule", None)
    assert expression == "30 2 * * *"


# --- cron ------------------------------------------------------------------------------

ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")


def _schedule_lines(text: str) -> list[str]:
    """The crontab's job lines: neither blank, nor comment, nor VAR=value."""
    return [line for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
            and not ENV_ASSIGNMENT.match(line.strip())]


def test_crontab_has_one_nightly_line() -> None:
    text = CRONTAB.read_text(encoding="utf-8")
    lines = _schedule_lines(text)
    assert len(lines) == 1, lines
    fields = lines[0].split(None, 5)
    assert len(fields) == 6, "five time fields and a command"
    minute, hour, dom, month, dow, command = fields
    assert (minute, hour, dom, month, dow) == ("30", "2", "*", "*", "*")
    assert "provaudit nightly" in command
    assert "--fail-on new" in command
    assert "--log-format json" in command
    assert "flock -n" in command
    assert re.search(r"(^|\s)cd\s+\S+\s*&&", command), "cd into the project first"
    assert ".venv/bin/provaudit" in command
    assert ">>" in command, "log to a file"
    # cron turns an unescaped % into a newline and feeds the rest to stdin.
    assert not re.search(r"(?<!\\)%", command), "unescaped % in a cron command"
    shlex.split(command)  # balanced quotes
    assert re.search(r"^MAILTO=\S+", text, re.MULTILINE)


# --- systemd ---------------------------------------------------------------------------

def _unit(path: Path) -> configparser.ConfigParser:
    # systemd allows repeated keys (e.g. several ExecStart=); keys are case-sensitive.
    parser = configparser.ConfigParser(strict=False, interpolation=None,
                                       comment_prefixes=("#", ";"), delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def test_systemd_service_parses() -> None:
    unit = _unit(SERVICE)
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["WorkingDirectory"].startswith("/")
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith(".venv/bin/provaudit") and command[0].startswith("/")
    assert command[1] == "nightly"
    assert " ".join(command[3:]) == "--fail-on new --log-format json"
    assert "Nice" in service and "IOSchedulingClass" in service
    assert unit["Install"]["Also"] == TIMER.name


def test_systemd_timer_parses() -> None:
    unit = _unit(TIMER)
    assert unit.sections() == ["Unit", "Timer", "Install"]
    timer = unit["Timer"]
    assert timer["OnCalendar"] == "*-*-* 02:30:00"
    assert timer["Persistent"] == "true"
    assert "RandomizedDelaySec" in timer
    assert timer.get("Unit", SERVICE.name) == SERVICE.name
    assert unit["Install"]["WantedBy"] == "timers.target"


# Messages that mean systemd-analyze could not work here, not that the files are wrong.
NO_SYSTEMD = ("not been booted", "not booted", "Failed to initialize manager",
              "Failed to connect to bus", "Failed to lookup RuntimeDirectory",
              "unrecognized option")


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not on PATH")
    # Verify copies, so that the names systemd prints are ours alone.
    for path in (SERVICE, TIMER):
        shutil.copy(path, tmp_path / path.name)
    paths = [str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)]
    proc = subprocess.run([analyze, "verify", "--man=no", *paths], check=False,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    output = (proc.stdout + proc.stderr).splitlines()
    # Syntax problems: "<file>:<line>: Unknown key ...", "Failed to parse ...", and a unit
    # that systemd refuses ("... has a bad unit file setting", "... Refusing.").
    syntax = [line for line in output
              if re.match(rf"^{re.escape(str(tmp_path))}/[^:]+:\d+:", line)
              or "bad unit file setting" in line or "Refusing" in line
              or "Unknown section" in line]
    assert not syntax, "\n".join(syntax)
    if proc.returncode != 0 and any(marker in line for line in output for marker in NO_SYSTEMD):
        pytest.skip(f"systemd-analyze cannot run here: {' | '.join(output)[:300]}")
    # Left: at most environment facts, e.g. that /opt/provaudit/.venv/bin/provaudit does
    # not exist on this machine ("Command ... is not executable").
    unexpected = [line for line in output if "is not executable" not in line]
    assert proc.returncode == 0 or not unexpected, "\n".join(output)


# --- README ----------------------------------------------------------------------------

def test_every_example_is_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [str(path.relative_to(ROOT)) for path in ALL_EXAMPLES
               if str(path.relative_to(ROOT)) not in readme]
    assert not missing, (
        "README.md must name every scheduling example (its section 'Running nightly'); "
        f"not mentioned: {', '.join(missing)}")
