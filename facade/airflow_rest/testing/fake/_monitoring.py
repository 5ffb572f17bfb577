"""Monitoring: health, version, import errors, DAG warnings and plugins."""

from __future__ import annotations

from airflow_rest_v1._meta import AIRFLOW_VERSION

from ._state import FakeAirflowState, _locked
from ._wire import JSON, Call, Reply, _apply_sorting, _check_limit, _iso, _not_found, _offset, _page


class MonitoringMixin(FakeAirflowState):
    """Monitoring operations."""

    @_locked
    def add_import_error(self, filename: str, stack_trace: str) -> JSON:
        error = {
            "filename": filename,
            "import_error_id": max((e["import_error_id"] for e in self.import_errors), default=0) + 1,
            "stack_trace": stack_trace,
            "timestamp": _iso(self.now()),
        }
        self.import_errors.append(error)
        return error

    def _op_get_health(self, call: Call) -> Reply:
        return 200, {
            "dag_processor": {"latest_dag_processor_heartbeat": None, "status": None},
            "metadatabase": {"status": "healthy"},
            "scheduler": {"latest_scheduler_heartbeat": _iso(self.now()), "status": "healthy"},
            "triggerer": {"latest_triggerer_heartbeat": None, "status": None},
        }

    def _op_get_version(self, call: Call) -> Reply:
        return 200, {"git_version": "", "version": AIRFLOW_VERSION}

    def _op_get_import_errors(self, call: Call) -> Reply:
        query = call.query
        limit, offset = _check_limit(query), _offset(query)
        ordered = _apply_sorting(
            self.import_errors,
            query.get("order_by", "import_error_id"),
            lambda e, name: e[name],
            ("import_error_id", "timestamp", "filename"),
        )
        return 200, {
            "import_errors": [dict(e) for e in _page(ordered, offset, limit)],
            "total_entries": len(self.import_errors),
        }

    def _op_get_import_error(self, call: Call) -> Reply:
        error_id = int(call.path["import_error_id"])
        for error in self.import_errors:
            if error["import_error_id"] == error_id:
                return 200, dict(error)
        raise _not_found(
            "Import error not found", f"The ImportError with import_error_id: `{error_id}` was not found"
        )

    def _op_get_dag_warnings(self, call: Call) -> Reply:
        query = call.query
        _check_limit(query)
        _offset(query)
        _apply_sorting(
            [],
            query.get("order_by", "timestamp"),
            lambda w, n: None,
            ("dag_id", "warning_type", "message", "timestamp"),
        )
        return 200, {"dag_warnings": [], "total_entries": 0}

    def _op_get_plugins(self, call: Call) -> Reply:
        _check_limit(call.query)
        return 200, {"plugins": [], "total_entries": 0}
