"""Airflow 3 REST API v2 data models (generated from Airflow 3's corrected spec), e.g. ``DAGResponse``,
``PoolBody``, ``TaskInstanceResponse``. Each is imported when first used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_rest_v2.models import *  # noqa: F403


def __getattr__(name: str) -> Any:
    from airflow_rest_v2 import models

    return getattr(models, name)


def __dir__() -> list[str]:
    from airflow_rest_v2 import models

    return list(models.__all__)
