"""MWAA through real boto3 clients: botocore's own HTTP layer and DEBUG log, and the options boto3
takes to make a client (``profile_name``, ``endpoint_url``), against MWAA's API served on 127.0.0.1
by :class:`FakeMwaaApi` (Stubber would skip the HTTP layer, where botocore logs what it sends and
receives). The Airflow web server behind the login and the CLI is :class:`FakeAirflow`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ProfileNotFound

from airflow_rest import models
from airflow_rest._core import _hide_botocore_arg
from airflow_rest.models_v2 import VariableBody
from airflow_rest.providers import CommandResult, mwaa

from .conftest import (
    AWS_SECRET,
    BOTH,
    MWAA_ENV,
    TLS,
    FakeAirflow,
    FakeMwaaApi,
    assert_no_secret,
    boto_mwaa_at,
    call,
    log_texts,
    mwaa_client,
    opened,
    run,
)

PROFILE = "airflow-test"
PROFILE_KEY_ID = "AKIAPROFILETEST"
AWS_ENV = (  # what would choose another profile, key, region or route
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "HTTP_PROXY",
    "HTTPS_PROXY",
)
FACTORIES = [
    mwaa.client,
    mwaa.async_client,
    mwaa.invoke_client,
    mwaa.async_invoke_client,
    mwaa.cli,
    mwaa.async_cli,
]


def invoke_client(mode: str, **kwargs: Any) -> Any:
    return (mwaa.invoke_client if mode == "sync" else mwaa.async_invoke_client)(MWAA_ENV, **kwargs)


async def run_cli(mode: str, command: str, **kwargs: Any) -> CommandResult:
    if mode == "sync":
        with mwaa.cli(MWAA_ENV, verify=TLS, **kwargs) as runner:
            return runner.run(command)
    async with mwaa.async_cli(MWAA_ENV, verify=TLS, **kwargs) as runner:
        return await runner.run(command)


@pytest.fixture
def aws_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An AWS profile in config files of its own: a region, credentials, and no ``env.`` host
    prefix (so that boto3 calls an ``endpoint_url`` on 127.0.0.1 as it is)."""
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(f"[profile {PROFILE}]\nregion = eu-west-2\ndisable_host_prefix_injection = true\n")
    credentials.write_text(
        f"[{PROFILE}]\naws_access_key_id = {PROFILE_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance for credentials
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    return PROFILE


# --- botocore's DEBUG log ------------------------------------------------------------------------


@BOTH
def test_botocore_debug_logs_show_no_mwaa_token_or_relayed_body(
    mode: str, mwaa_server: FakeAirflow, mwaa_api: FakeMwaaApi, debug_logs: pytest.LogCaptureFixture
) -> None:
    boto = boto_mwaa_at(mwaa_api.url, AWS_SECRET)
    sent = "variable-sent-s3cr3t"

    async def body() -> None:
        async with opened(mwaa_client(mode, mwaa_client=boto)) as client:  # create_web_login_token
            assert (await call(client.monitoring.get_version())).version == "2.10.4"
        async with opened(invoke_client(mode, mwaa_client=boto)) as client:  # invoke_rest_api
            got = await call(client.variable.get_variable("db_password"))
            posted = await call(client.variable.post_variables(body=models.Variable(key="k", value=sent)))
            assert got.value in mwaa_server.secrets
            assert posted.value == sent
        result = await run_cli(mode, "version", mwaa_client=boto)  # create_cli_token
        assert result.stdout == "ran: version\n"

    run(body)
    assert [path for path, _, _ in mwaa_api.calls] == [
        f"/webtoken/{MWAA_ENV}",
        f"/environments/{MWAA_ENV}",  # the invoke client asks which Airflow it relays to
        *[f"/restapi/{MWAA_ENV}"] * 2,
        f"/clitoken/{MWAA_ENV}",
    ]
    assert mwaa_api.calls[3][1]["Body"] == {"key": "k", "value": sent}  # the secret went through botocore
    records = debug_logs.records
    bodies = [r.getMessage() for r in records if r.name == "botocore.parsers" and "body" in str(r.msg)]
    assert len(bodies) == 5  # botocore logged each answer, with its secret field hidden
    assert all('"***"' in text for text in bodies), bodies
    requests = [r.getMessage() for r in records if r.name == "botocore.endpoint" and "params" in str(r.msg)]
    assert len(requests) == 5
    assert sum('"Body": "***"' in text for text in requests) == 1
    secrets = [*mwaa_server.secrets, sent, AWS_SECRET]
    assert len(mwaa_server.secrets) >= 6  # web token, session, 2 configuration values, variable, CLI token
    for record in records:
        assert_no_secret(secrets, record.getMessage(), repr(record.args))
    assert_no_secret(secrets, debug_logs.text)


@BOTH
def test_botocore_debug_logs_show_no_body_relayed_to_airflow_3(
    mode: str, mwaa_server: FakeAirflow, debug_logs: pytest.LogCaptureFixture
) -> None:
    api = FakeMwaaApi(mwaa_server, airflow_version="3.0.6")
    sent = "variable-sent-s3cr3t"
    try:
        boto = boto_mwaa_at(api.url, AWS_SECRET)

        async def body() -> None:
            async with opened(invoke_client(mode, mwaa_client=boto)) as client:  # asks get_environment
                assert client.airflow_major == 3
                got = await call(client.variable.get_variable("db_password"))
                posted = await call(client.variable.post_variable(body=VariableBody(key="k", value=sent)))
                assert got.value in mwaa_server.secrets
                assert (posted.key, posted.value) == ("k", sent)

        run(body)
    finally:
        api.close()
    assert [path for path, _, _ in api.calls] == [f"/environments/{MWAA_ENV}", *[f"/restapi/{MWAA_ENV}"] * 2]
    assert [body["Path"] for _, body, _ in api.calls[1:]] == ["/variables/db_password", "/variables"]
    assert api.calls[2][1]["Body"] == {"key": "k", "value": sent}
    records = debug_logs.records
    bodies = [r.getMessage() for r in records if r.name == "botocore.parsers" and "body" in str(r.msg)]
    assert len(bodies) == 3
    assert all('"***"' in text for text in bodies), bodies
    assert_no_secret([*mwaa_server.secrets, sent, AWS_SECRET], *log_texts(debug_logs))


@BOTH
def test_botocore_debug_logs_keep_airflow_configuration_option_names_and_hide_their_values(
    mode: str, mwaa_server: FakeAirflow, mwaa_api: FakeMwaaApi, debug_logs: pytest.LogCaptureFixture
) -> None:
    boto = boto_mwaa_at(mwaa_api.url, AWS_SECRET)

    async def body() -> None:
        async with opened(mwaa_client(mode, mwaa_client=boto, airflow_version=None)) as client:
            assert (await call(client.monitoring.get_version())).version == "2.10.4"

    run(body)
    assert [path for path, _, _ in mwaa_api.calls] == [f"/environments/{MWAA_ENV}", f"/webtoken/{MWAA_ENV}"]
    (answer,) = [
        r.getMessage()
        for r in debug_logs.records
        if r.name == "botocore.parsers" and "AirflowConfigurationOptions" in r.getMessage()
    ]
    assert '"AirflowVersion": "2.10.3"' in answer  # the rest of the answer is still there to read
    assert (
        '"AirflowConfigurationOptions": {"core.fernet_key": "***", "secrets.backend_kwargs": "***"}' in answer
    )
    options = [s for s in mwaa_server.secrets if s.startswith(("fernet-key", "backend-kwargs"))]
    assert len(options) == 2
    assert_no_secret([*mwaa_server.secrets, AWS_SECRET], *log_texts(debug_logs))


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (  # create_environment / update_environment send them at the top of the request
            {"Name": "e", "AirflowConfigurationOptions": {"core.fernet_key": "s3cr3t"}},
            {"Name": "e", "AirflowConfigurationOptions": {"core.fernet_key": "***"}},
        ),
        (  # get_environment answers them inside Environment
            {"Environment": {"Name": "e", "AirflowConfigurationOptions": {"a.b": "s3cr3t", "c.d": "s3cr3t"}}},
            {"Environment": {"Name": "e", "AirflowConfigurationOptions": {"a.b": "***", "c.d": "***"}}},
        ),
        (  # a form botocore does not send is hidden whole
            {"Environment": {"AirflowConfigurationOptions": ["s3cr3t"]}},
            {"Environment": {"AirflowConfigurationOptions": "***"}},
        ),
        (
            {"Environments": [{"AirflowConfigurationOptions": {"x.y": "s3cr3t"}, "WebToken": "s3cr3t"}]},
            {"Environments": [{"AirflowConfigurationOptions": {"x.y": "***"}, "WebToken": "***"}]},
        ),
    ],
    ids=["request", "answer", "not-an-object", "in-a-list"],
)
@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "text"])
def test_the_values_of_airflow_configuration_options_are_hidden_wherever_they_are(
    body: dict[str, Any], shown: dict[str, Any], as_bytes: bool
) -> None:
    text = json.dumps(body)
    hidden = _hide_botocore_arg({"url_path": "/x", "body": text.encode() if as_bytes else text})
    assert isinstance(hidden, dict)
    logged = hidden["body"].decode() if as_bytes else hidden["body"]
    assert json.loads(logged) == shown
    assert "s3cr3t" not in logged


# --- profile_name and endpoint_url ------------------------------------------------------------------


@BOTH
def test_every_mwaa_way_in_takes_a_profile_and_an_endpoint_url_as_boto3_does(
    mode: str, aws_profile: str, mwaa_server: FakeAirflow, mwaa_api: FakeMwaaApi
) -> None:
    options = {"profile_name": aws_profile, "endpoint_url": mwaa_api.url}

    async def body() -> None:
        async with opened(mwaa_client(mode, **options)) as client:
            assert (await call(client.monitoring.get_version())).version == "2.10.4"
            made = client._http.auth._environment.client()
            assert (made.meta.region_name, made.meta.endpoint_url) == ("eu-west-2", mwaa_api.url)
        async with opened(invoke_client(mode, **options)) as client:
            assert (await call(client.variable.get_variable("k"))).key == "k"
        assert (await run_cli(mode, "version", **options)).stdout == "ran: version\n"

    run(body)
    assert [path for path, _, _ in mwaa_api.calls] == [
        f"/webtoken/{MWAA_ENV}",
        f"/environments/{MWAA_ENV}",
        f"/restapi/{MWAA_ENV}",
        f"/clitoken/{MWAA_ENV}",
    ]
    for _, _, authorization in mwaa_api.calls:  # signed with the profile's key, for its region
        assert re.search(rf"Credential={PROFILE_KEY_ID}/\d{{8}}/eu-west-2/airflow/", authorization)
    assert mwaa_server.kinds() == ["login", "version", "cli"]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__qualname__)
@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"profile_name": "no-such-profile", "region_name": "us-east-1"}, ProfileNotFound, "no-such-profile"),
        ({"profile_name": ""}, ValueError, "profile_name must be a non-empty str"),
        ({"profile_name": PROFILE, "boto3_session": "session"}, ValueError, "boto3_session or profile_name"),
        ({"profile_name": PROFILE, "mwaa_client": "client"}, ValueError, "either mwaa_client"),
        ({"endpoint_url": "http://127.0.0.1:1", "mwaa_client": "client"}, ValueError, "either mwaa_client"),
        ({"endpoint_url": "airflow.eu-west-1.amazonaws.com"}, ValueError, "absolute http"),
        ({"endpoint_url": "ftp://airflow.test"}, ValueError, "absolute http"),
        ({"endpoint_url": 42}, ValueError, "absolute http"),
    ],
    ids=[
        "unknown-profile",
        "empty-profile",
        "profile-and-session",
        "profile-and-client",
        "endpoint-and-client",
        "no-scheme",
        "not-http",
        "not-a-str",
    ],
)
def test_bad_boto3_options_are_refused_before_any_call(
    factory: Any,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
    aws_profile: str,
    mwaa_api: FakeMwaaApi,
) -> None:
    async def body() -> None:
        with pytest.raises(error, match=re.escape(message)):
            await call(factory(MWAA_ENV, **options))

    run(body)
    assert mwaa_api.calls == []
