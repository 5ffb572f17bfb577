"""Differential steps for configuration, providers, the event log, DAG source, reparsing, the
connection test and task instance dependencies.

The local server exposes its configuration ([webserver] expose_config = True), so the fake is set
up the same way for these steps. DAG source and reparsing take the DAG's ``file_token`` from the
answer of an earlier step (``{file_token}``). A run of the paused example DAG is created, given a
note (an event log entry with its run id) and deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # differential imports this module: Step is taken when the steps are made
    from .differential import Step

# what the local server is configured with, that a default Airflow (and so the fake) is not
FAKE_CONFIG = (("webserver", "expose_config", "True"),)


def steps(suffix: str) -> list[Step]:
    """24 requests; the run they create is deleted."""
    from .differential import DAG, Step

    run = f"adm_run_{suffix}"
    tis = f"/dags/{DAG}/dagRuns/{run}/taskInstances"
    return [
        Step("config", "GET", "/config"),
        Step("config section", "GET", "/config", {"section": "core"}),
        Step("config section missing", "GET", "/config", {"section": f"adm_{suffix}"}, expect=404),
        Step("config value", "GET", "/config/section/core/option/dags_folder"),
        Step("config value sensitive", "GET", "/config/section/webserver/option/secret_key"),
        Step("config value missing", "GET", f"/config/section/core/option/adm_{suffix}", expect=404),
        Step("providers", "GET", "/providers"),
        Step("dag with its file token", "GET", f"/dags/{DAG}"),
        Step("dag source", "GET", "/dagSources/{file_token}"),
        Step("dag source bad token", "GET", f"/dagSources/adm.{suffix}", expect=404),
        Step("reparse dag file", "PUT", "/parseDagFile/{file_token}", expect=201),
        Step("reparse bad token", "PUT", f"/parseDagFile/adm.{suffix}", expect=404),
        Step(
            "test connection (disabled)",
            "POST",
            "/connections/test",
            json={"connection_id": f"adm_{suffix}", "conn_type": "http"},
            expect=403,
        ),
        Step("adm trigger", "POST", f"/dags/{DAG}/dagRuns", json={"dag_run_id": run}),
        Step("dependencies", "GET", f"{tis}/runme_0/dependencies"),
        Step("dependencies downstream", "GET", f"{tis}/run_after_loop/dependencies"),
        Step("dependencies missing", "GET", f"{tis}/adm_nope/dependencies", expect=404),
        Step("mapped dependencies missing", "GET", f"{tis}/runme_0/0/dependencies", expect=404),
        Step("adm run note", "PATCH", f"/dags/{DAG}/dagRuns/{run}/setNote", json={"note": "adm"}),
        Step("event logs of the run", "GET", "/eventLogs", {"run_id": run}),
        Step(
            "event logs filtered",
            "GET",
            "/eventLogs",
            {"run_id": run, "included_events": "api.set_dag_run_note,running", "order_by": "-when"},
        ),
        Step("event logs bad order_by", "GET", "/eventLogs", {"order_by": "id"}, expect=400),
        Step("event log", "GET", "/eventLogs/1"),
        Step("event log missing", "GET", "/eventLogs/2000000000", expect=404),
        Step("adm delete run", "DELETE", f"/dags/{DAG}/dagRuns/{run}", expect=204),
    ]
