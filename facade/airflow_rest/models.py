"""Airflow 2 REST API v1 data models (generated from Airflow's corrected spec), e.g. ``DAG``, ``Pool``,
``TaskInstance``. Each is imported when first used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_rest_v1.models import *  # noqa: F403


def __getattr__(name: str) -> Any:
    from airflow_rest_v1 import models

    return getattr(models, name)


def __dir__() -> list[str]:
    from airflow_rest_v1 import models

    return list(models.__all__)
