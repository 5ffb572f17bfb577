"""Task logs and XCom entries."""

from __future__ import annotations

import copy
from typing import Any

from ._model import LOG_FOLDER, TI_FINISHED, _XCom
from ._state import FakeAirflowState, _locked
from ._wire import (
    JSON,
    Call,
    Reply,
    _bad_request,
    _check_limit,
    _iso,
    _not_found,
    _offset,
    _page,
    _sign,
    _unsign,
)


class LogsXComMixin(FakeAirflowState):
    """Log and XCom operations."""

    @property
    @_locked
    def xcoms(self) -> list[JSON]:
        return [
            {
                "dag_id": x.dag_id,
                "run_id": x.run_id,
                "task_id": x.task_id,
                "map_index": x.map_index,
                "key": x.key,
                "value": copy.deepcopy(x.value),
            }
            for x in self._xcoms
        ]

    @_locked
    def add_xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str, value: Any, *, map_index: int = -1
    ) -> None:
        """Push an XCom as the task would (``return_value`` for a returned value)."""
        ti = self._ti_or_error(dag_id, run_id, task_id, map_index)
        self._xcoms = [
            x for x in self._xcoms if (x.dag_id, x.run_id, x.task_id, x.map_index, x.key) != (*ti.key, key)
        ]
        self._xcoms.append(_XCom(dag_id, run_id, task_id, map_index, key, copy.deepcopy(value), self.now()))

    @_locked
    def log(self, dag_id: str, run_id: str, task_id: str, message: str, *, map_index: int = -1) -> None:
        """Write a line into the task instance's log of its current try, as the task's logger would."""
        ti = self._ti_or_error(dag_id, run_id, task_id, map_index)
        self._log(ti, "logging_mixin.py:190", message)

    def _xcom_item_json(self, xcom: _XCom) -> JSON:
        run = self._runs[(xcom.dag_id, xcom.run_id)]
        return {
            "dag_id": xcom.dag_id,
            "execution_date": _iso(run.logical_date),
            "key": xcom.key,
            "map_index": xcom.map_index,
            "task_id": xcom.task_id,
            "timestamp": _iso(xcom.timestamp),
        }

    def _op_get_log(self, call: Call) -> Reply:
        p, query = call.path, call.query
        number = int(p["task_try_number"])
        map_index = -1 if query.get("map_index") is None else int(query["map_index"])
        token = query.get("token")
        metadata: JSON = {}
        if token:
            try:
                loaded = _unsign(str(token))
            except ValueError:
                raise _bad_request(
                    None, title="Bad Signature. Please use only the tokens provided by the API."
                ) from None
            metadata = loaded if isinstance(loaded, dict) else {}
        key = (p["dag_id"], p["dag_run_id"], p["task_id"], map_index)
        ti = self._tis.get(key)
        if ti is None:
            raise _not_found("TaskInstance not found")
        if number < 1:
            content = [("default_host", f"Error fetching the logs. Try number {number} is invalid.")]
            return 200, {"content": repr(content), "continuation_token": _sign({"end_of_log": True})}
        lines = ti.logs.get(number, [])
        logs = "\n".join(lines)
        messages: list[str] = []
        index_part = f"/map_index={map_index}" if map_index >= 0 else ""
        relative = (
            f"dag_id={ti.dag_id}/run_id={ti.run_id}/task_id={ti.task_id}{index_part}/attempt={number}.log"
        )
        if lines:
            messages += ["Found local files:", f"  * {LOG_FOLDER}/{relative}"]
        elif ti.state in TI_FINISHED or ti.state in (
            "running",
            "deferred",
            "up_for_retry",
            "up_for_reschedule",
        ):
            if ti.hostname:
                messages.append(
                    f"Could not read served logs: HTTPConnectionPool(host='{ti.hostname}', port=8793): "
                    f"Max retries exceeded with url: /log/{relative}"
                )
            else:
                messages.append(
                    f"Could not read served logs: Invalid URL 'http://:8793/log/{relative}': No host supplied"
                )
        header = " INFO - ::group::Log message source details\n"
        header += "".join(f"*** {m}\n" for m in messages)
        header += " INFO - ::endgroup::\n"
        text = logs[int(metadata["log_pos"]) :] if "log_pos" in metadata else header + logs
        end_of_log = ti.try_number != number or ti.state not in ("running", "deferred")
        return 200, {
            "content": repr([(ti.hostname, text)]),
            "continuation_token": _sign({"end_of_log": end_of_log, "log_pos": len(logs)}),
        }

    def _op_get_xcom_entries(self, call: Call) -> Reply:
        p, query = call.path, call.query
        limit, offset = _check_limit(query), _offset(query)
        dag_id, run_id, task_id = p["dag_id"], p["dag_run_id"], p["task_id"]
        items = [
            x
            for x in self._xcoms
            if (x.dag_id == dag_id or (dag_id == "~" and x.dag_id in self.dags))
            and (task_id == "~" or x.task_id == task_id)
            and (run_id == "~" or x.run_id == run_id)
            and (query.get("map_index") is None or x.map_index == query["map_index"])
            and (query.get("xcom_key") is None or x.key == query["xcom_key"])
        ]
        items.sort(key=lambda x: (x.dag_id, x.task_id, x.run_id, x.map_index, x.key))
        page = _page(items, offset, limit)
        return 200, {"total_entries": len(items), "xcom_entries": [self._xcom_item_json(x) for x in page]}

    def _op_get_xcom_entry(self, call: Call) -> Reply:
        p, query = call.path, call.query
        if query.get("deserialize"):
            raise _bad_request("XCom deserialization is disabled in configuration.")
        map_index = -1 if query.get("map_index") is None else int(query["map_index"])
        xcom = next(
            (
                x
                for x in self._xcoms
                if (x.dag_id, x.run_id, x.task_id, x.map_index, x.key)
                == (p["dag_id"], p["dag_run_id"], p["task_id"], map_index, p["xcom_key"])
            ),
            None,
        )
        if xcom is None:
            raise _not_found("XCom entry not found")
        stringify = query.get("stringify", True)
        value = copy.deepcopy(xcom.value)
        if stringify and value is not None:
            value = str(value)
        return 200, self._xcom_item_json(xcom) | {"value": value}
