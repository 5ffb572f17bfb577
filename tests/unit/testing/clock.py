"""A settable clock for the fake (``FakeAirflow(now=clock)``)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """Every reading is the same instant until ``tick``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
