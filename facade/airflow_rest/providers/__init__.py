"""Getting a connected client where Airflow runs, on Airflow 2 and 3: AWS MWAA (``mwaa``), Google
Cloud Composer (``composer``), Astronomer (``astronomer``), Alibaba Cloud DMS (``dms``, Airflow 2);
the remote CLI of MWAA and DMS, whose results and interface are here (``CommandResult``,
``RemoteCli``, ``AsyncRemoteCli``, ``prepare_command``).

Each provider's SDK is an optional extra, imported only when its flow is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._shared.remote_cli import AsyncRemoteCli, CommandResult, PreparedCommand, RemoteCli, prepare_command

__all__ = ["AsyncRemoteCli", "CommandResult", "PreparedCommand", "RemoteCli", "prepare_command"]


def __getattr__(name: str) -> Any:
    if name in __all__:  # imported when first used: the session logins import this package too
        from ._shared import remote_cli

        return getattr(remote_cli, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
