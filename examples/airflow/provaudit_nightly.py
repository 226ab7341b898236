"""provaudit nightly as an Apache Airflow DAG (Airflow 2 and 3; checked with Airflow 2.11.2
and 3.3.2 and the Beam provider 6.3.1).

Every night at 02:30 (in the DAG's time zone, UTC here: see ``start_date``) one task runs
``pipelines/nightly.py`` from a provaudit checkout with the Apache Beam provider's
``BeamRunPythonPipelineOperator``: the same as ``provaudit nightly CONFIG --fail-on new``,
launched the Beam way, so Beam options (runner, project, region, ...) come from the
operator. The task fails when the pipeline exits non-zero: 1 = a critical expectation
newly fails against the previous completed run, 2 = a usage, config or input error.

Install on the Airflow scheduler/workers (not in provaudit's own virtualenv, whose pins
Airflow would break)::

    pip install "apache-airflow>=2.9" apache-airflow-providers-apache-beam apache-airflow-providers-google
    cp examples/airflow/provaudit_nightly.py "$AIRFLOW_HOME/dags/"

(The Google provider is needed even with the DirectRunner: the Beam provider's operators
refuse to be created without it, "Failed to import apache-airflow-google-provider", which
shows up as an import error of this DAG.) Then make provaudit reachable from every worker:

- ``PROVAUDIT_HOME``: the provaudit checkout (``pipelines/nightly.py``, ``configs/``).
  Read from the Airflow Variable ``provaudit_home`` when the task runs; without that
  Variable, from the environment variable ``PROVAUDIT_HOME`` of the process that parses
  this file; without either, ``/opt/provaudit``.
- ``PROVAUDIT_CONFIG``: the run config; Variable ``provaudit_config``, else
  ``$PROVAUDIT_HOME/configs/local.yaml``. Runs go into a new folder under its ``output``.
- ``PROVAUDIT_PYTHON``: the interpreter that has provaudit (and so Beam) installed,
  e.g. the checkout's virtualenv. From the environment only (the operator does not
  template it), default ``$PROVAUDIT_HOME/.venv/bin/python``. ``py_requirements`` stays
  ``None``, so the operator creates no virtualenv and uses this interpreter as it is.

Parsing this file has no side effects: no Variable, connection or database is read at
import time (the Variables are Jinja templates, rendered only when the task runs), and
nothing is started. Check it with ``airflow dags list-import-errors``, or without a
database: ``AIRFLOW__CORE__LOAD_EXAMPLES=False python -c "from airflow.models import DagBag;
print(DagBag('examples/airflow').import_errors)"`` (``tests/test_examples.py`` does this).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

DAG_ID = "provaudit_nightly"

# Defaults from the parsing process's environment; nothing here touches Airflow's database.
PROVAUDIT_HOME = os.environ.get("PROVAUDIT_HOME", "/opt/provaudit")
PROVAUDIT_PYTHON = os.environ.get("PROVAUDIT_PYTHON", f"{PROVAUDIT_HOME}/.venv/bin/python")

# Jinja, rendered only when the task runs: the Airflow Variable if set, else the default.
# json.dumps writes the default as a Jinja string literal; `~` joins strings in Jinja.
HOME_EXPR = "var.value.get('provaudit_home', " + json.dumps(PROVAUDIT_HOME) + ")"
HOME = "{{ " + HOME_EXPR + " }}"
CONFIG = "{{ var.value.get('provaudit_config', " + HOME_EXPR + " ~ '/configs/local.yaml') }}"

default_args = {
    "owner": "provenance-audit",
    "depends_on_past": False,
    # No automatic retries. The operator cannot tell exit 1 (a critical expectation newly
    # fails) from a crash, and a night that exits 1 is still a *complete* run: a retry
    # would compare against it, find nothing new, exit 0 and turn the night green. A night
    # that crashed or was killed is never reused, so clearing the task (or the next night)
    # simply runs it again. Raise this only with --fail-on any.
    "retries": 0,
    "retry_delay": timedelta(minutes=15),
    "execution_timeout": timedelta(hours=6),
    # To be told of a failed night, add an on_failure_callback here, e.g. the SMTP
    # provider's SmtpNotifier (email/email_on_failure are deprecated in Airflow 3).
}

with DAG(
    dag_id=DAG_ID,
    description="provaudit nightly: every stage incrementally, fail on newly failing critical "
    "expectations",
    schedule="30 2 * * *",
    # A fixed date in the past; its time zone is the schedule's. For local time use e.g.
    # pendulum.datetime(2025, 1, 1, tz="Europe/Berlin").
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,  # one run for "last night", never a backlog of missed nights
    max_active_runs=1,  # never two nightly runs at once
    default_args=default_args,
    tags=["provaudit", "beam"],
    doc_md=__doc__,
) as dag:
    BeamRunPythonPipelineOperator(
        task_id="nightly",
        py_file=f"{HOME}/pipelines/nightly.py",
        # Passed to the driver as --config=... --fail-on=new --log-format=text (keys are
        # used as written); the operator adds --runner and a --labels option, which go on
        # to Beam. "log-format": "json" gives one JSON line per stage for log shippers.
        pipeline_options={
            "config": CONFIG,
            "fail-on": "new",
            "log-format": "text",
        },
        runner="DirectRunner",
        # On Dataflow instead (needs the `gcp` extra of apache-beam in PROVAUDIT_PYTHON,
        # Google credentials on the workers, and a config whose inputs and output are on
        # GCS, e.g. configs/dataflow.yaml):
        # runner="DataflowRunner",
        # pipeline_options={
        #     "config": CONFIG,
        #     "fail-on": "new",
        #     "log-format": "text",
        #     "temp_location": "gs://my-bucket/provaudit/tmp",
        #     "staging_location": "gs://my-bucket/provaudit/staging",
        # },
        # dataflow_config={
        #     "job_name": "provaudit-nightly",
        #     "project_id": "my-project",
        #     "location": "europe-west1",
        #     "gcp_conn_id": "google_cloud_default",
        #     "wait_until_finished": True,
        # },
        # Use the interpreter provaudit is installed in, as it is: no virtualenv is created
        # (py_requirements=None), so py_system_site_packages has no effect.
        py_interpreter=PROVAUDIT_PYTHON,
        py_requirements=None,
        py_system_site_packages=False,
    )
