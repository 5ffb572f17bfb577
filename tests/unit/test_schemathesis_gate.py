"""The schemathesis gates' budget: a few fuzzed examples per operation, more on request."""

from __future__ import annotations

import pytest

from ..support import schemathesis_gate


def test_the_budget_is_the_default_unless_the_environment_asks_for_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCHEMATHESIS_MAX_EXAMPLES", raising=False)
    assert schemathesis_gate.max_examples(default=3) == 3
    monkeypatch.setenv("SCHEMATHESIS_MAX_EXAMPLES", "25")
    assert schemathesis_gate.max_examples(default=3) == 25


@pytest.mark.parametrize("raw", ["0", "-1", "many", "2.5"])
def test_a_bad_budget_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SCHEMATHESIS_MAX_EXAMPLES", raw)
    with pytest.raises(ValueError, match="SCHEMATHESIS_MAX_EXAMPLES must be a positive integer"):
        schemathesis_gate.max_examples(default=3)
