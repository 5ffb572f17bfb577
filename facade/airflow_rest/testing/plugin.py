"""The pytest plugin (registered through the ``pytest11`` entry point): the ``airflow_fake`` fixture.

    def test_pause(airflow_fake):
        airflow_fake.add_dag("etl")
        with AirflowClient(airflow_fake.url) as client:      # or any httpx-based code
            client.update("dag", "etl", is_paused=True)
        assert airflow_fake.dags["etl"].is_paused

Every httpx request to ``airflow_fake.url`` (``http://airflow.test`` unless the marker says
otherwise) is answered by the oracle through pytest-httpx. Options, by marker::

    @pytest.mark.airflow_fake(base_url="https://airflow.internal/prefix", auth=("u", "p"), strict=False)

``strict`` (default True): the test fails at teardown if requests or responses broke the spec and
the test did not take the violations (``airflow_fake.take_violations()``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ._oracle import DEFAULT_BASE_URL, Oracle, SpecViolationError

EXTRA = "pip install 'airflow-rest[testing]'"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "airflow_fake(base_url=..., auth=(user, password), strict=True): options of the airflow_fake fixture",
    )


@pytest.fixture
def airflow_fake(request: pytest.FixtureRequest) -> Iterator[Oracle]:
    """A spec-checked, stateful fake Airflow 2.x REST API answering httpx requests to its ``url``."""
    try:
        import pytest_httpx  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise pytest.UsageError(f"the airflow_fake fixture is built on pytest-httpx: {EXTRA}") from exc
    marker = request.node.get_closest_marker("airflow_fake")
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    strict = bool(options.pop("strict", True))
    base_url = str(options.pop("base_url", DEFAULT_BASE_URL))
    auth = options.pop("auth", None)
    if options:
        raise pytest.UsageError(f"unknown airflow_fake marker options: {', '.join(sorted(options))}")
    oracle = Oracle(base_url, auth=auth)
    httpx_mock = request.getfixturevalue("httpx_mock")
    httpx_mock.add_callback(
        oracle.handle,
        url=re.compile(re.escape(oracle.base_url) + r"(/.*)?(\?.*)?$"),
        is_reusable=True,
        is_optional=True,
    )
    yield oracle
    if strict and oracle.violations:
        raise SpecViolationError(
            f"{len(oracle.violations)} request(s) or response(s) to the fake Airflow broke the spec "
            "(take them with airflow_fake.take_violations() when the test means to):",
            oracle.violations,
        )
