"""Runs after test_zz_schemathesis.py (file order): differential fuzzing of the fake. Every request of
the schemathesis run, recorded with the real server's answer in
.cache/schemathesis-v1-exchanges.jsonl, is replayed in order against a fresh fake (the oracle, in
process) seeded with what the real server held before the run, and the answers are compared.

Seeding: at its start this module reads the real server over its API (read-only: DAGs with their
details and tasks, DAG runs, task instances, XComs, variables, pools, connections, import errors,
users, roles, datasets, queued dataset events, event logs and, when exposed, the configuration).
The schemathesis module has cleaned up by then, so the snapshot is rolled back to the state
before the run: an object the recording first saw absent (a 404) or created is left out, one it
first saw present (a 200 or 204 on its path, a 409 that names it) is put back. The replay maps
values the server generates to the fake's (a run triggered without an id gets one from the
trigger time, a DAG's file token is signed with the server's secret key) in the requests, and the
fake's back to the server's in its answers.

Comparable requests, compared aspects and kinds of difference are defined in
tests/support/replay.py: in short, every request the real server did not answer with a 5xx,
compared on its status, its Problem title on equal 4xx statuses, and its media type on equal
statuses; a kind is (operation, real status, fake status, aspect). Each kind that remains is
listed in fake_differences.yaml with its reason; the test fails on a kind not listed there. A
listed kind that does not occur is a note (in the report and printed), not a failure: what the
schemathesis run sends depends on the server's state (run ids, timing), so a kind may be absent
from one recording and back in the next one, on a fresh server as on a used one. The agreement,
the table of kinds and the notes go to .cache/fake-replay-v1.txt.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from ..support import replay as r
from .conftest import API_URL, PASSWORD, USER

pytestmark = pytest.mark.integration

CACHE = Path(__file__).resolve().parents[2] / ".cache"
RECORDING = CACHE / "schemathesis-v1-exchanges.jsonl"
REPORT = CACHE / "fake-replay-v1.txt"
DIFFERENCES = Path(__file__).with_name("fake_differences.yaml")


@pytest.fixture(scope="module")
def outcome(client: object) -> tuple[r.Comparison, dict[r.Kind, str]]:
    """The recording replayed against a fake seeded from the real server (the ``client`` fixture
    makes sure it is up)."""
    if not RECORDING.exists():
        pytest.skip(
            f"no recording at {RECORDING}: run tests/integration/test_zz_schemathesis.py first "
            "(it records every exchange of the schemathesis run)"
        )
    exchanges = r.load_exchanges(RECORDING)
    started = time.monotonic()
    with httpx.Client(base_url=API_URL + "/", auth=(USER, PASSWORD), timeout=60.0) as http:
        snapshot = r.take_snapshot(http)
    seeded = r.fresh_oracle(r.as_before(snapshot, exchanges))
    answers = r.replay(exchanges, seeded.oracle, seeded.renamed)
    result = r.compare(exchanges, answers)
    listed = r.load_listed(DIFFERENCES)
    recorded = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(RECORDING.stat().st_mtime))
    header = (
        f"{RECORDING.name} (written {recorded} UTC) replayed against the fake seeded from "
        f"{API_URL} ({len(snapshot.dags)} DAGs, {len(snapshot.runs)} runs, "
        f"{len(snapshot.task_instances)} task instances); {time.monotonic() - started:.0f} s\n"
    )
    text = header + r.render(result, listed, seeded.skipped)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print("\n" + text)
    return result, listed


def test_the_recording_is_comparable(outcome: tuple[r.Comparison, dict[r.Kind, str]]) -> None:
    result, _listed = outcome
    assert result.total > 0, f"{RECORDING} holds no exchanges"
    assert result.comparable >= result.total * 0.9, (
        f"only {result.comparable} of {result.total} requests comparable: {dict(result.excluded)}"
    )


def test_every_difference_from_the_real_server_is_listed_with_its_reason(
    outcome: tuple[r.Comparison, dict[r.Kind, str]],
) -> None:
    result, listed = outcome
    unlisted, unseen = r.check_listed(result, listed)
    for kind in unseen:
        print(f"note: listed in {DIFFERENCES.name}, not seen in this recording: {r.kind_label(kind)}")
    assert unlisted == [], f"differences not in {DIFFERENCES.name} (see {REPORT}): " + "; ".join(
        r.kind_label(k) for k in unlisted
    )
