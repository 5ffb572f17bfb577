"""boto3 for every MWAA way in: the arguments that make an MWAA client, checked before any call; the
client, given or made as boto3 makes one; its calls for one environment, failures raised as
``LoginError`` with AWS's code and message; and the environment's Airflow major, asked of
``get_environment`` once.

boto3 is imported only when a client is made (or at once for ``profile_name``, so that an unknown
profile is refused before any call); botocore's DEBUG log of what MWAA sends and answers is masked.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ... import errors
from ..._connect import major_of
from ..._core import redact_botocore_logs

EXTRA = "pip install 'airflow-rest[mwaa]'"
_NAME = re.compile(r"[a-zA-Z][0-9a-zA-Z_-]*")
_NAME_MAX = 80


def check_name(name: object) -> str:
    """``name`` if it can be an MWAA environment name (AWS's rule); refused before any call."""
    if not isinstance(name, str):
        raise TypeError(f"name must be the MWAA environment name (a str), got {type(name).__name__}")
    if not name:
        raise ValueError("name must be the MWAA environment name, got an empty string")
    if len(name) > _NAME_MAX or not _NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not an MWAA environment name: a letter, then up to {_NAME_MAX - 1} letters, "
            "digits, '-' or '_'"
        )
    return name


def check_boto3_options(
    mwaa_client: Any, region_name: object, boto3_session: Any, profile_name: object, endpoint_url: object
) -> None:
    """Refuses, before any call, arguments that cannot make a boto3 MWAA client or conflict."""
    if mwaa_client is not None and any(
        value is not None for value in (region_name, boto3_session, profile_name, endpoint_url)
    ):
        raise ValueError(
            "give either mwaa_client or region_name/boto3_session/profile_name/endpoint_url to make one, "
            "not both"
        )
    if boto3_session is not None and profile_name is not None:
        raise ValueError("give either boto3_session or profile_name (a session is made for it), not both")
    for key, value in (("region_name", region_name), ("profile_name", profile_name)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{key} must be a non-empty str, got {value!r}")
    if endpoint_url is not None:
        url = None
        if isinstance(endpoint_url, str):
            with contextlib.suppress(httpx.InvalidURL):
                url = httpx.URL(endpoint_url)
        if url is None or url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
            shown = errors.safe_url(url) if url is not None else type(endpoint_url).__name__
            raise ValueError(
                "endpoint_url must be an absolute http(s) URL of the MWAA API, such as "
                f"https://airflow.eu-west-1.amazonaws.com, got {shown!r}"
            )


def _import_boto3(missing: str) -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise ImportError(missing) from exc
    return boto3


class Environment:
    """One MWAA environment as boto3 reaches it, for one way in (``purpose`` names it in errors:
    "the MWAA web login", "MWAA InvokeRestApi"...).

    The MWAA client is ``mwaa_client``, or one made on first use (once, under threads) from
    ``boto3_session`` (or a session for ``profile_name``, made now; default: boto3's default
    session) for ``region_name``, with ``endpoint_url`` when given and the botocore ``Config`` that
    ``config`` makes (called only when a client is made here).
    """

    def __init__(
        self,
        name: str,
        *,
        purpose: str,
        mwaa_client: Any = None,
        region_name: str | None = None,
        boto3_session: Any = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
        config: Callable[[], Any] | None = None,
    ) -> None:
        self.name = check_name(name)
        check_boto3_options(mwaa_client, region_name, boto3_session, profile_name, endpoint_url)
        self.purpose = purpose
        self.missing = f"{purpose} needs boto3, which is not installed: {EXTRA}"
        self._mwaa = mwaa_client
        self.owns_client = mwaa_client is None
        self._region_name = region_name
        self._session = (
            _import_boto3(self.missing).session.Session(profile_name=profile_name)
            if profile_name is not None
            else boto3_session
        )
        self._endpoint_url = endpoint_url
        self._config = config
        self._client_lock = threading.Lock()
        self._major_lock = threading.Lock()
        self._major: int | None = None
        redact_botocore_logs()

    def client(self) -> Any:
        """The boto3 MWAA client; made now if it was not given and not made yet."""
        if self._mwaa is None:
            with self._client_lock:
                if self._mwaa is None:
                    try:
                        config = self._config() if self._config is not None else None
                    except ImportError as exc:  # botocore, for the Config
                        raise ImportError(self.missing) from exc
                    options = {"endpoint_url": self._endpoint_url, "config": config}
                    options = {k: v for k, v in options.items() if v is not None}
                    maker = self._session if self._session is not None else _import_boto3(self.missing)
                    self._mwaa = maker.client("mwaa", region_name=self._region_name, **options)
        return self._mwaa

    @property
    def region_name(self) -> str | None:
        """The AWS region, when known without making a client."""
        if self._region_name is not None:
            return self._region_name
        for region in (
            getattr(getattr(self._mwaa, "meta", None), "region_name", None),
            getattr(self._session, "region_name", None),
        ):
            if isinstance(region, str) and region:
                return region
        return None

    def call(self, operation: str) -> Mapping[str, Any]:
        """The answer of the boto3 MWAA ``operation`` for this environment (a blocking call); its
        failure as a ``LoginError`` with AWS's code and message."""
        mwaa = self.client()
        try:
            reply: Mapping[str, Any] = getattr(mwaa, operation)(Name=self.name)
        except Exception as exc:  # botocore's ClientError / BotoCoreError, or an injected client's own
            response: Mapping[str, Any] = getattr(exc, "response", None) or {}
            error = response.get("Error", {})
            code = error.get("Code") or type(exc).__name__
            message = error.get("Message") or str(exc)
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise errors.LoginError(
                f"MWAA {operation} for {self.name!r} failed: {code}: {message}",
                provider="mwaa",
                status_code=status,
            ) from None
        if not isinstance(reply, Mapping):
            raise errors.LoginError(f"MWAA {operation} for {self.name!r} gave no answer", provider="mwaa")
        return reply

    def airflow_major(self) -> int:
        """The environment's Airflow major (2 or 3), from ``get_environment``'s ``AirflowVersion``:
        asked once (a blocking call), under threads too."""
        if self._major is None:
            with self._major_lock:
                if self._major is None:
                    environment = self.call("get_environment").get("Environment") or {}
                    version = environment.get("AirflowVersion")
                    major = major_of(version)
                    if major is None:
                        raise errors.LoginError(
                            f"MWAA get_environment for {self.name!r} reports AirflowVersion {version!r}; "
                            f"{self.purpose} supports Airflow 2 and 3",
                            provider="mwaa",
                        )
                    self._major = major
        return self._major

    def close(self) -> None:
        """Close the MWAA client if it was made here."""
        if self.owns_client and self._mwaa is not None:
            close = getattr(self._mwaa, "close", None)
            if callable(close):
                close()
            self._mwaa = None

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, region_name={self.region_name!r})"
