"""What each REST API major supplies to the one client core: its URL path, its generated package
(operations, models, paged list operations) and its server facts (what update() may change)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._updates import ResourceSpec


class Api:
    """One major of Airflow's REST API, as the shared client code needs it."""

    def __init__(
        self,
        name: str,
        *,
        airflow: int,
        path: str,
        package: str,
        absolute_paths: bool,
        password_auth: Callable[[str, str], httpx.Auth],
    ) -> None:
        self.name = name
        self.airflow = airflow
        self.path = path  # the API's path under the webserver root, e.g. "/api/v1"
        self.package = package
        # whether the generated operations' URLs already start with ``path`` (v2's do)
        self.absolute_paths = absolute_paths
        self.password_auth = password_auth  # what auth=("user", "password") means on this major

    @cached_property
    def paged_items(self) -> Mapping[str, str]:
        """List operation name -> the field holding its items."""
        table: Mapping[str, str] = import_module(f"{self.package}.api").PAGED_ITEMS
        return table

    @cached_property
    def resources(self) -> Mapping[str, ResourceSpec]:
        from ._updates import resources

        return resources(import_module(f"{self.package}._facts").RESOURCES)

    @cached_property
    def trigger(self) -> Mapping[str, Any]:
        """How a run is triggered: operation, body model, fields always sent."""
        trigger: Mapping[str, Any] = import_module(f"{self.package}._facts").TRIGGER
        return trigger

    @cached_property
    def models(self) -> Any:
        return import_module(f"{self.package}.models")

    def __repr__(self) -> str:
        return f"Api({self.name!r})"


def _basic(username: str, password: str) -> httpx.Auth:
    from .auth import BasicAuth

    return BasicAuth(username, password)


def _token(username: str, password: str) -> httpx.Auth:
    from ._token_auth import PasswordTokenAuth

    return PasswordTokenAuth(username, password)


V1 = Api(
    "v1", airflow=2, path="/api/v1", package="airflow_rest_v1", absolute_paths=False, password_auth=_basic
)
V2 = Api(
    "v2", airflow=3, path="/api/v2", package="airflow_rest_v2", absolute_paths=True, password_auth=_token
)
