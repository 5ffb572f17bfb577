"""The state and the request handlers of an in-memory Airflow 2.11.2 (stable REST API v1).

``FakeAirflow`` answers all 89 operations by their ``operationId`` the way the real webserver
does: the same fields, nulls and timestamp formats, the same paging limits, ordering rules, filters
and ``update_mask`` semantics (the update rules are read from ``airflow_rest_v1._facts``, i.e.
spec/v1/facts.yaml), and the same Problem JSON errors (status, title, detail). The HTTP side
(routing, parameter parsing, spec validation) lives in ``.._spec`` and ``.._oracle``: a handler gets
a ``Call`` with path parameters, typed query values and the parsed JSON body, and returns
``(status, body)``.

Nothing runs tasks: tests drive progress with ``set_task_state`` and ``complete_run``, and the DAG
run follows as the scheduler would make it (queued -> running -> success or failed); a producing
task that succeeds writes its dataset events, and the consumers get dataset-triggered runs.

Layout (one concern a module, as moto splits a service):

- ``_wire``: the ``Call``/``Reply`` contract, Problem errors, body loading, paging, sorting, facts
- ``_model``: records, ``FakeDag``/``FakeTask``, cron; ``_dags_default``: the default DAGs
- ``_state``: ``FakeAirflowState``: shared state, dispatch, scheduler and worker behaviour
- one mixin of ``_op_<operation_id>`` handlers, seeding methods and read properties per resource:
  ``_dags``, ``_dag_runs``, ``_task_instances``, ``_logs_xcom``, ``_variables``,
  ``_connections``, ``_pools``, ``_monitoring`` (health, version, import errors, warnings,
  plugins), ``_datasets`` (datasets, events, queued events), ``_security`` (users, roles,
  permissions), ``_admin`` (config, providers, event logs, DAG source, dependencies,
  ``connections/test``, reparse)
- ``data/``: what the real server answered, kept as captured (default roles and permissions,
  providers, default config, example DAG sources, event names), each file saying where it came from

``FakeAirflow`` is their composition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from airflow_rest_v1._meta import AIRFLOW_VERSION

from ._admin import AdminMixin
from ._connections import ConnectionsMixin
from ._dag_runs import DagRunsMixin
from ._dags import DagsMixin
from ._dags_default import dataset_example_dags, default_dags
from ._datasets import DatasetsMixin
from ._logs_xcom import LogsXComMixin
from ._model import DEFAULT_POOL, FakeDag, FakeTask
from ._monitoring import MonitoringMixin
from ._pools import PoolsMixin
from ._security import SecurityMixin
from ._state import FakeAirflowState
from ._task_instances import TaskInstancesMixin
from ._variables import VariablesMixin
from ._wire import DOCS_URL, Call, Reply, Text, problem

__all__ = [
    "AIRFLOW_VERSION",
    "DOCS_URL",
    "Call",
    "FakeAirflow",
    "FakeAirflowState",
    "FakeDag",
    "FakeTask",
    "Reply",
    "Text",
    "dataset_example_dags",
    "default_dags",
    "problem",
]


class FakeAirflow(
    DagsMixin,
    DagRunsMixin,
    TaskInstancesMixin,
    LogsXComMixin,
    VariablesMixin,
    ConnectionsMixin,
    PoolsMixin,
    MonitoringMixin,
    DatasetsMixin,
    SecurityMixin,
    AdminMixin,
    FakeAirflowState,
):
    """An in-memory Airflow 2.11.2 answering REST API v1 operations by ``operationId``."""

    def __init__(
        self,
        *,
        dags: Iterable[FakeDag] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(now=now)
        self.add_pool(DEFAULT_POOL, 128, "Default pool")
        for dag in default_dags() if dags is None else dags:
            self._register(dag)
