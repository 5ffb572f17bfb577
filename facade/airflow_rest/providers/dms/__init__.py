"""Alibaba Cloud DMS (managed Airflow): a client logged in with a DMS Airflow login token, and the
remote CLI over its session.

    from airflow_rest.providers import dms

    with dms.client("cn-hangzhou", "af-123") as client:        # needs airflow-rest[dms]
        client.dag.get_dags(limit=5)
        print(dms.cli(client).run("dags list-runs -d etl").stdout)

DMS documents one way in: its login token exchanged at ``{Host}/login`` for a web session, used on
Airflow 2's ``/api/v1`` (``AirflowClient``). The login is :class:`DmsLogin`; the CLI
:class:`DmsCli` and :class:`AsyncDmsCli`.
"""

from __future__ import annotations

from ._cli import DMS_COMMANDS, AsyncDmsCli, DmsCli
from ._login import (
    DMS_REGIONS,
    TOKEN_WINDOW,
    DmsLogin,
    DmsToken,
    TokenProvider,
    async_cli,
    async_client,
    cli,
    client,
    sdk_token_provider,
)

__all__ = [
    "DMS_COMMANDS",
    "DMS_REGIONS",
    "TOKEN_WINDOW",
    "AsyncDmsCli",
    "DmsCli",
    "DmsLogin",
    "DmsToken",
    "TokenProvider",
    "async_cli",
    "async_client",
    "cli",
    "client",
    "sdk_token_provider",
]
