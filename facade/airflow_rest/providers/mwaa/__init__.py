"""AWS MWAA (Managed Workflows for Apache Airflow), three ways in, on Airflow 2 and 3. All need
``airflow-rest[mwaa]``.

    from airflow_rest.providers import mwaa

    with mwaa.client("MyEnvironment", region_name="eu-west-1") as client:        # web login
        client.dag.get_dags(limit=5)
    with mwaa.invoke_client("MyEnvironment", region_name="eu-west-1") as client:  # InvokeRestApi
        client.dag.get_dags(limit=5)
    with mwaa.cli("MyEnvironment", region_name="eu-west-1") as runner:           # remote CLI
        print(runner.run("dags list").stdout)

``client`` and ``invoke_client`` give an ``AirflowClient`` on Airflow 2 and an ``Airflow3Client`` on
Airflow 3: ``airflow_version`` (2, 3 or a version such as ``"3.0.6"``) when given, else
``get_environment``'s ``AirflowVersion``, asked once (IAM permission ``airflow:GetEnvironment``).
The web login is :class:`MwaaLogin`; InvokeRestApi the transports :class:`InvokeRestApiTransport`
and :class:`AsyncInvokeRestApiTransport`; the CLI :class:`MwaaCli` and :class:`AsyncMwaaCli`.

Every way in takes ``region_name``, ``boto3_session`` or ``profile_name`` (a boto3 Session for that
AWS profile) and ``endpoint_url`` to make the boto3 MWAA client, as boto3 does; or a ready
``mwaa_client``. botocore's DEBUG log of tokens, relayed bodies and the environment's Airflow
configuration options is masked.
"""

from __future__ import annotations

from ._cli import CLI_TOKEN_LIFETIME, CLI_TOKEN_SAFETY_MARGIN, MWAA_COMMANDS, AsyncMwaaCli, MwaaCli
from ._invoke import (
    PLACEHOLDER_URL,
    RELAY_TIMEOUT_SECONDS,
    RESPONSE_LIMIT_BYTES,
    AsyncInvokeRestApiTransport,
    InvokeRestApiTimeout,
    InvokeRestApiTransport,
    async_invoke_client,
    invoke_client,
)
from ._login import WEB_TOKEN_LIFETIME, MwaaLogin, WebLoginToken, async_client, client

__all__ = [
    "CLI_TOKEN_LIFETIME",
    "CLI_TOKEN_SAFETY_MARGIN",
    "MWAA_COMMANDS",
    "PLACEHOLDER_URL",
    "RELAY_TIMEOUT_SECONDS",
    "RESPONSE_LIMIT_BYTES",
    "WEB_TOKEN_LIFETIME",
    "AsyncInvokeRestApiTransport",
    "AsyncMwaaCli",
    "InvokeRestApiTimeout",
    "InvokeRestApiTransport",
    "MwaaCli",
    "MwaaLogin",
    "WebLoginToken",
    "async_cli",
    "async_client",
    "async_invoke_client",
    "cli",
    "client",
    "invoke_client",
]

cli = MwaaCli
async_cli = AsyncMwaaCli
