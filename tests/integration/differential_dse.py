"""Differential steps for datasets, dataset events and queued dataset events. The fake's default
DAGs define no dataset, so the steps compare listings (shapes), the 400s and the 404s; nothing is
created on the real server."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:  # differential imports this module: Step is taken when the steps are made
    from .differential import Step


def steps(suffix: str) -> list[Step]:
    """14 requests; nothing is created or changed."""
    from .differential import DAG, Step

    uri = quote(f"s3://dse-{suffix}/missing", safe="")
    queued = f"/dags/{DAG}/datasets/queuedEvent"
    return [
        Step("datasets page", "GET", "/datasets", {"limit": 2, "order_by": "-uri"}),
        Step("datasets bad order_by", "GET", "/datasets", {"order_by": "extra"}, expect=400),
        Step("dataset missing", "GET", f"/datasets/{uri}", expect=404),
        Step("dataset events page", "GET", "/datasets/events", {"limit": 2, "order_by": "-timestamp"}),
        Step("dataset events bad order_by", "GET", "/datasets/events", {"order_by": "id"}, expect=400),
        Step(
            "dataset event for a missing dataset",
            "POST",
            "/datasets/events",
            json={"dataset_uri": f"s3://dse-{suffix}/missing", "extra": {"k": "v"}},
            expect=404,
        ),
        Step("queued events of a dataset", "GET", f"/datasets/queuedEvent/{uri}", expect=404),
        Step("delete queued events of a dataset", "DELETE", f"/datasets/queuedEvent/{uri}", expect=404),
        Step("queued events bad before", "GET", f"/datasets/queuedEvent/{uri}", {"before": "x"}, expect=400),
        Step("queued events of a dag", "GET", queued, {"before": "2030-01-01T00:00:00Z"}, expect=404),
        Step("delete queued events of a dag", "DELETE", queued, expect=404),
        Step("queued event", "GET", f"{queued}/{uri}", expect=404),
        Step("delete queued event", "DELETE", f"{queued}/{uri}", expect=404),
        Step(
            "upstream dataset events of a missing run",
            "GET",
            f"/dags/{DAG}/dagRuns/dse_{suffix}/upstreamDatasetEvents",
            expect=404,
        ),
    ]
