"""The ``airflow_fake`` fixture as a user meets it: small test files run by pytest in a subprocess,
the plugin found through the installed ``pytest11`` entry point (no conftest, no ``-p``).

All the files run in one pytest session (one subprocess); each test here checks one outcome.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

SESSION_TIMEOUT = 60.0

FILES = {
    "test_pause.py": """
        from airflow_rest import AirflowClient


        def test_pause_a_dag(airflow_fake):
            airflow_fake.add_dag("etl")
            assert airflow_fake.url == "http://airflow.test"
            with AirflowClient(airflow_fake.url) as client:
                assert client.update("dag", "etl", is_paused=True).is_paused is True
            assert airflow_fake.dags["etl"].is_paused is True
            assert [e.operation for e in airflow_fake.exchanges] == ["patch_dag"]
    """,
    "test_strict.py": """
        import httpx


        def test_bad_request_left_unexamined(airflow_fake):
            response = httpx.get(airflow_fake.api_url + "/dags", params={"limit": "abc"})
            assert response.status_code == 400


        def test_bad_request_examined(airflow_fake):
            response = httpx.get(airflow_fake.api_url + "/dags", params={"limit": "abc"})
            assert response.status_code == 400
            (violation,) = airflow_fake.take_violations()
            assert (violation.operation, violation.location) == ("get_dags", "query.limit")
    """,
    "test_marker.py": """
        import pytest

        from airflow_rest import AirflowClient, errors


        @pytest.mark.airflow_fake(base_url="https://af.example.invalid/prefix", strict=False)
        def test_prefix_and_not_strict(airflow_fake):
            assert airflow_fake.api_url == "https://af.example.invalid/prefix/api/v1"
            with AirflowClient(airflow_fake.url) as client:
                assert client.dag.get_dags().total_entries == 4
                with pytest.raises(errors.BadRequestError):
                    client.pool.delete_pool("default_pool")
            assert [v.operation for v in airflow_fake.violations] == ["delete_pool"]
            assert airflow_fake.exchanges[0].path.startswith("/prefix/api/v1/dags")


        @pytest.mark.airflow_fake(auth=("user", "secret"))
        def test_credentials(airflow_fake):
            with AirflowClient(airflow_fake.url) as anonymous, pytest.raises(errors.PermissionDeniedError):
                anonymous.pool.get_pools()
            with AirflowClient(airflow_fake.url, auth=("user", "secret")) as client:
                assert client.pool.get_pools().total_entries == 1


        @pytest.mark.airflow_fake(bogus=1)
        def test_unknown_option(airflow_fake):
            pass
    """,
    "test_async.py": """
        import asyncio

        from airflow_rest import AsyncAirflowClient, models


        def test_async_client(airflow_fake):
            async def scenario():
                async with AsyncAirflowClient(airflow_fake.url) as client:
                    ids = [d.dag_id async for d in client.paginate(client.dag.get_dags, page_size=3)]
                    assert (await client.update("dag", "tutorial", is_paused=False)).is_paused is False
                    await client.variable.post_variables(body=models.Variable(key="k", value="v"))
                    return ids

            ids = asyncio.run(scenario())
            assert len(ids) == len(set(ids)) == 4
            assert airflow_fake.dags["tutorial"].is_paused is False
            assert airflow_fake.variables["k"]["value"] == "v"
    """,
}


@dataclass
class Session:
    returncode: int
    output: str
    counts: dict[str, int]
    outcomes: dict[str, list[str]]  # node id -> PASSED / FAILED / ERROR (a test can pass and error)


def _parse(returncode: int, output: str) -> Session:
    summary = output.strip().splitlines()[-1]
    counts = {
        ("error" if word.startswith("error") else word): int(number)
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", summary)
    }
    outcomes: dict[str, list[str]] = {}
    for outcome, node in re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", output, re.MULTILINE):
        outcomes.setdefault(node, []).append(outcome)
    return Session(returncode, output, counts, outcomes)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    folder: Path = tmp_path_factory.mktemp("airflow_fake_users")
    for name, source in FILES.items():
        (folder / name).write_text(textwrap.dedent(source).lstrip())
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "--color=no", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT,
    )
    return _parse(finished.returncode, finished.stdout + finished.stderr)


def test_the_session_counts(session: Session) -> None:
    assert session.counts == {"passed": 6, "error": 2}, session.output
    assert session.returncode == 1


def test_the_fixture_answers_the_client_and_keeps_state(session: Session) -> None:
    assert session.outcomes["test_pause.py::test_pause_a_dag"] == ["PASSED"], session.output


def test_violations_left_unexamined_fail_the_test_at_teardown(session: Session) -> None:
    assert session.outcomes["test_strict.py::test_bad_request_left_unexamined"] == ["PASSED", "ERROR"]
    teardown = session.output.split("ERROR at teardown of test_bad_request_left_unexamined", 1)[1]
    assert (
        "SpecViolationError: 1 request(s) or response(s) to the fake Airflow broke the spec "
        "(take them with airflow_fake.take_violations() when the test means to):"
    ) in teardown
    assert (
        "  - request GET /dags: query.limit: Wrong type, expected 'integer' for query parameter 'limit' "
        "(spec #/components/parameters/PageLimit/schema)"
    ) in teardown


def test_violations_taken_leave_the_test_passing(session: Session) -> None:
    assert session.outcomes["test_strict.py::test_bad_request_examined"] == ["PASSED"], session.output


def test_the_marker_sets_base_url_strictness_and_credentials(session: Session) -> None:
    assert session.outcomes["test_marker.py::test_prefix_and_not_strict"] == ["PASSED"], session.output
    assert session.outcomes["test_marker.py::test_credentials"] == ["PASSED"], session.output


def test_an_unknown_marker_option_is_an_error(session: Session) -> None:
    assert session.outcomes["test_marker.py::test_unknown_option"] == ["ERROR"]
    assert "UsageError: unknown airflow_fake marker options: bogus" in session.output


def test_the_async_client_is_answered_too(session: Session) -> None:
    assert session.outcomes["test_async.py::test_async_client"] == ["PASSED"], session.output
