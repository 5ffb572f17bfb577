"""Retry decisions and delays: pure functions, so the schedule can be tested with a table."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class RetryPolicy:
    """How often and how long to wait.

    ``max_retries`` retries after the first attempt; delays grow from ``initial_delay`` by doubling
    up to ``max_delay``, each shortened by up to ``jitter`` (a fraction) at random; a server's
    ``Retry-After`` is honoured up to ``max_retry_after`` seconds. POST is retried only with
    ``retry_post``; PATCH only when it carries an ``update_mask`` (then it is idempotent).
    """

    __slots__ = ("initial_delay", "jitter", "max_delay", "max_retries", "max_retry_after", "retry_post")

    def __init__(
        self,
        *,
        max_retries: int = 2,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_retry_after: float = 60.0,
        jitter: float = 0.25,
        retry_post: bool = False,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if not 0 <= jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {jitter}")
        if initial_delay < 0 or max_delay < 0 or max_retry_after < 0:
            raise ValueError("delays must be >= 0")
        self.max_retries = max_retries
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.jitter = jitter
        self.retry_post = retry_post

    def replace(self, *, max_retries: int | None = None, retry_post: bool | None = None) -> RetryPolicy:
        """A copy with the given settings changed."""
        return RetryPolicy(
            max_retries=self.max_retries if max_retries is None else max_retries,
            initial_delay=self.initial_delay,
            max_delay=self.max_delay,
            max_retry_after=self.max_retry_after,
            jitter=self.jitter,
            retry_post=self.retry_post if retry_post is None else retry_post,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RetryPolicy):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, k) for k in self.__slots__))

    def __repr__(self) -> str:
        return "RetryPolicy(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"


def is_idempotent(method: str, *, has_update_mask: bool, retry_post: bool) -> bool:
    method = method.upper()
    if method in IDEMPOTENT_METHODS:
        return True
    if method == "PATCH":
        return has_update_mask
    if method == "POST":
        return retry_post
    return False


def should_retry(
    policy: RetryPolicy,
    *,
    method: str,
    has_update_mask: bool,
    retries_done: int,
    status: int | None = None,
    connection_error: bool = False,
) -> bool:
    """Whether to send the request again after a failed attempt (``status`` or a connection error)."""
    if retries_done >= policy.max_retries:
        return False
    if not is_idempotent(method, has_update_mask=has_update_mask, retry_post=policy.retry_post):
        return False
    if connection_error:
        return True
    return status in RETRY_STATUSES


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds, or an HTTP date), or None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds or seconds < 0:  # NaN or in the past
        return 0.0 if seconds < 0 else None
    return seconds


def retry_delay(
    policy: RetryPolicy,
    *,
    retries_done: int,
    retry_after: str | None,
    now: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to sleep before retry number ``retries_done + 1``."""
    server = parse_retry_after(retry_after, now=now)
    if server is not None:
        return min(server, policy.max_retry_after)
    base: float = min(policy.initial_delay * 2.0**retries_done, policy.max_delay)
    return base * (1.0 - policy.jitter * rand())
