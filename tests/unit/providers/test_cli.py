"""Remote CLI over MWAA (``/aws_mwaa/cli``) and DMS (``/api/v1/command``): command checking and
quoting, the exact wire, token reuse, one command at a time, errors, and secrets kept out of sight.

boto3 is stubbed with botocore's ``Stubber`` (every stubbed answer must be used: checked when the
``mwaa`` fixture ends); HTTP with pytest-httpx. Every runner feature is tested sync and async.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import shlex
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import httpx
import pytest
from botocore.stub import Stubber
from pytest_httpx import HTTPXMock

from airflow_rest import SessionCookieAuth, errors
from airflow_rest.providers import AsyncRemoteCli, CommandResult, RemoteCli, prepare_command
from airflow_rest.providers.dms import DMS_COMMANDS, AsyncDmsCli, DmsCli
from airflow_rest.providers.dms import _cli as dms_cli_module
from airflow_rest.providers.mwaa import (
    CLI_TOKEN_LIFETIME,
    CLI_TOKEN_SAFETY_MARGIN,
    MWAA_COMMANDS,
    AsyncMwaaCli,
    MwaaCli,
)
from airflow_rest.providers.mwaa import _cli as mwaa_cli_module

TLS = ssl.create_default_context()  # one for every client: building one costs ~0.1 s
ENV = "my-env"
HOST = "0123abcd-4567-89ef.c2.us-east-1.airflow.amazonaws.com"
CLI_URL = f"https://{HOST}/aws_mwaa/cli"
TOKEN_A, TOKEN_B = "cli-token-A-s3cr3t", "cli-token-B-s3cr3t"
COOKIE = "dms-cookie-s3cr3t"
DMS_API = "https://dms.test/airflow/t1/w1/af-123/api/v1/"
MODES = ["sync", "async"]
AnyCli = MwaaCli | AsyncMwaaCli | DmsCli | AsyncDmsCli
Step = str | Sequence[str] | float


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode("ascii")


def mwaa_answer(stdout: str | bytes = "", stderr: str | bytes = "") -> dict[str, str]:
    return {"stderr": b64(stderr), "stdout": b64(stdout)}


class FakeClock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Mwaa:
    """A boto3 MWAA client under a Stubber, and the tokens it has been told to hand out."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "mwaa", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self.stubber = Stubber(self.client)

    def token(self, value: str = TOKEN_A, host: str = HOST, name: str = ENV) -> None:
        self.stubber.add_response(
            "create_cli_token", {"CliToken": value, "WebServerHostname": host}, expected_params={"Name": name}
        )


@pytest.fixture
def mwaa() -> Iterator[Mwaa]:
    stub = Mwaa()
    with stub.stubber:
        yield stub
        stub.stubber.assert_no_pending_responses()


def mwaa_cli(mode: str, stub: Mwaa, **kwargs: Any) -> MwaaCli | AsyncMwaaCli:
    cls = MwaaCli if mode == "sync" else AsyncMwaaCli
    cli = cls(ENV, mwaa_client=stub.client, verify=TLS, **kwargs)
    cli._monotonic = FakeClock()
    return cli


def dms_cli(mode: str, base_url: str = DMS_API, cookie: str = COOKIE) -> DmsCli | AsyncDmsCli:
    auth = SessionCookieAuth(cookie)
    if mode == "sync":
        return DmsCli(httpx.Client(base_url=base_url, auth=auth, verify=TLS))
    return AsyncDmsCli(httpx.AsyncClient(base_url=base_url, auth=auth, verify=TLS))


def _close(cli: AnyCli) -> None:
    if isinstance(cli, MwaaCli):
        cli.close()
    elif isinstance(cli, DmsCli):
        cli._http.close()


async def _aclose(cli: AnyCli) -> None:
    if isinstance(cli, AsyncMwaaCli):
        await cli.aclose()
    elif isinstance(cli, AsyncDmsCli):
        await cli._http.aclose()


def drive(cli: AnyCli, *steps: Step, out: list[CommandResult] | None = None) -> list[CommandResult]:
    """Run the commands in order (a float moves the runner's clock on), then close the runner.
    Results are also appended to ``out`` as they come, for tests that end with an error."""
    results: list[CommandResult] = [] if out is None else out

    def advance(seconds: float) -> None:
        cli._monotonic.now += seconds  # type: ignore[union-attr]

    if isinstance(cli, AsyncMwaaCli | AsyncDmsCli):
        acli = cli

        async def main() -> list[CommandResult]:
            try:
                for step in steps:
                    if isinstance(step, float):
                        advance(step)
                    else:
                        results.append(await acli.run(step))
            finally:
                await _aclose(acli)
            return results

        return asyncio.run(main())
    assert isinstance(cli, MwaaCli | DmsCli)
    try:
        for step in steps:
            if isinstance(step, float):
                advance(step)
            else:
                results.append(cli.run(step))
    finally:
        _close(cli)
    return results


def bearer_tokens(httpx_mock: HTTPXMock) -> list[str]:
    return [r.headers["Authorization"].removeprefix("Bearer ") for r in httpx_mock.get_requests()]


# --- command preparation ------------------------------------------------------------------------


def test_tables_are_the_documented_commands() -> None:
    assert len(MWAA_COMMANDS) == len(set(MWAA_COMMANDS)) == 31
    assert len(DMS_COMMANDS) == len(set(DMS_COMMANDS)) == 40
    assert {"roles create", "roles list", "providers *"} <= set(MWAA_COMMANDS)
    assert {"db clean", "dags reserialize", "dags list-import-errors", "providers widgets"} <= set(
        DMS_COMMANDS
    )
    assert not {"db clean", "dags reserialize"} & set(MWAA_COMMANDS)
    assert not any(c.startswith("roles") for c in DMS_COMMANDS)
    for table in (MWAA_COMMANDS, DMS_COMMANDS):
        assert {"cheat-sheet", "version", "dags trigger", "variables set", "tasks states-for-dag-run"} <= set(
            table
        )


@pytest.mark.parametrize(
    ("command", "line"),
    [
        ("dags list", "dags list"),
        ("  dags   list  -o json ", "dags list -o json"),
        (["dags", "trigger", "my dag", "--conf", '{"a": 1}'], "dags trigger 'my dag' --conf '{\"a\": 1}'"),
        ("dags trigger 'my dag' --conf '{\"a\": 1}'", "dags trigger 'my dag' --conf '{\"a\": 1}'"),
        (
            ["variables", "set", "k", "it's $HOME; rm -rf / `x`"],
            "variables set k 'it'\"'\"'s $HOME; rm -rf / `x`'",
        ),
        (["variables", "set", "empty", ""], "variables set empty ''"),
        (("version",), "version"),
        ("airflow dags list", "dags list"),
        (["airflow", "version"], "version"),
        (["variables", "get", "airflow"], "variables get airflow"),
        ("dags trigger dag\twith-tab", "dags trigger dag with-tab"),
    ],
)
def test_commands_are_tokenised_and_quoted_safely(command: str | Sequence[str], line: str) -> None:
    prepared = prepare_command(command, MWAA_COMMANDS, provider="MWAA")
    assert prepared.line == line
    assert list(prepared.args) == shlex.split(line)
    assert shlex.split(prepared.line) == list(prepared.args)  # the server gets back the same arguments


def test_words_are_the_command_words_only() -> None:
    assert prepare_command(["dags", "trigger", "x", "--conf", "{}"], MWAA_COMMANDS).words == "dags trigger"
    assert prepare_command("version --help", MWAA_COMMANDS).words == "version"
    assert prepare_command("providers hooks -o json", MWAA_COMMANDS).words == "providers hooks"


def test_mwaa_runs_any_providers_subcommand_dms_only_its_own() -> None:
    assert prepare_command("providers anything", MWAA_COMMANDS).line == "providers anything"
    assert prepare_command("providers list", DMS_COMMANDS).line == "providers list"
    with pytest.raises(errors.UnsupportedCommandError):
        prepare_command("providers anything", DMS_COMMANDS, provider="DMS")
    with pytest.raises(errors.UnsupportedCommandError):
        prepare_command(
            "providers --help", MWAA_COMMANDS, provider="MWAA"
        )  # * is a subcommand, not an option


@pytest.mark.parametrize(
    ("command", "table", "provider"),
    [
        ("db clean", MWAA_COMMANDS, "MWAA"),
        ("dags reserialize", MWAA_COMMANDS, "MWAA"),
        ("roles list", DMS_COMMANDS, "DMS"),
        ("users create --role Admin", MWAA_COMMANDS, "MWAA"),
        ("dags", MWAA_COMMANDS, "MWAA"),
        ("dags --help", DMS_COMMANDS, "DMS"),
        ("--help", DMS_COMMANDS, "DMS"),
        ("dags-list", DMS_COMMANDS, "DMS"),
    ],
)
def test_unsupported_commands_are_refused_with_the_list(
    command: str, table: tuple[str, ...], provider: str
) -> None:
    with pytest.raises(errors.UnsupportedCommandError) as info:
        prepare_command(command, table, provider=provider)
    assert isinstance(info.value, ValueError)
    assert info.value.supported == table
    message = str(info.value)
    assert message.startswith(f"{provider} does not run the CLI command ")
    for entry in table:
        assert entry in message


def test_unsupported_subcommand_names_the_group_commands() -> None:
    with pytest.raises(errors.UnsupportedCommandError, match=r"Its dags commands: backfill, delete, list,"):
        prepare_command("dags reserialize", MWAA_COMMANDS, provider="MWAA")
    with pytest.raises(errors.UnsupportedCommandError, match=r"\(\* = any subcommand\)"):
        prepare_command("db clean", MWAA_COMMANDS, provider="MWAA")


@pytest.mark.parametrize("command", ["", "   ", [], "airflow", ["airflow"]])
def test_empty_commands_are_refused(command: str | list[str]) -> None:
    with pytest.raises(ValueError, match="the CLI command is empty"):
        prepare_command(command, MWAA_COMMANDS)


def test_unbalanced_quotes_are_refused() -> None:
    with pytest.raises(ValueError, match="quotes are balanced") as info:
        prepare_command("dags trigger 'my dag", MWAA_COMMANDS)
    assert not isinstance(info.value, errors.UnsupportedCommandError)


@pytest.mark.parametrize(
    "command",
    [
        ["variables", "set", "k", "a\nb"],
        ["variables", "set", "k", "a\rb"],
        ["variables", "set", "k", "a\x00b"],
        ["variables", "set", "k", "a\u2028b"],
        "variables set k 'a\nb'",
        "dags list\nversion",
        "dags list\x00",
    ],
)
def test_nul_and_line_breaks_are_refused(command: str | list[str]) -> None:
    with pytest.raises(ValueError, match="cannot contain NUL or line breaks"):
        prepare_command(command, MWAA_COMMANDS)


@pytest.mark.parametrize("command", [["dags", "list", 3], ["dags", None], b"dags list", 42, {"dags": "list"}])
def test_arguments_must_be_strings(command: Any) -> None:
    with pytest.raises(TypeError):
        prepare_command(command, MWAA_COMMANDS)


# --- MWAA: the wire ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_exact_wire(mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock) -> None:
    mwaa.token(TOKEN_A)
    httpx_mock.add_response(
        url=CLI_URL,
        method="POST",
        match_headers={"Authorization": f"Bearer {TOKEN_A}", "Content-Type": "text/plain"},
        match_content=b"dags trigger my_dag",
        json=mwaa_answer("Created <DagRun my_dag @ ...>\n", "warning: something\n"),
    )
    [result] = drive(mwaa_cli(mode, mwaa), "dags trigger my_dag")
    assert result == CommandResult(
        command="dags trigger my_dag", stdout="Created <DagRun my_dag @ ...>\n", stderr="warning: something\n"
    )
    [request] = httpx_mock.get_requests()
    assert str(request.url) == CLI_URL
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "text/plain"
    assert request.content == b"dags trigger my_dag"


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_body_is_the_quoted_command(mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock) -> None:
    mwaa.token()
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer())
    args = ["dags", "trigger", "my dag", "--conf", '{"a": 1, "b": "it\'s"}']
    [result] = drive(mwaa_cli(mode, mwaa), ["airflow", *args])
    body = httpx_mock.get_requests()[0].content.decode()
    assert body == result.command == shlex.join(args)
    assert shlex.split(body) == args


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_output_is_base64_decoded_text(mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock) -> None:
    mwaa.token()
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer("Grüße ✓ 日本\n", b"bad \xff byte"))
    [result] = drive(mwaa_cli(mode, mwaa), "version")
    assert result.stdout == "Grüße ✓ 日本\n"
    assert result.stderr == "bad \ufffd byte"


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_base64_with_line_breaks_is_decoded(mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock) -> None:
    mwaa.token()
    encoded = base64.encodebytes(b"x" * 100).decode("ascii")  # MIME style: a newline every 76 chars
    httpx_mock.add_response(url=CLI_URL, json={"stdout": encoded, "stderr": ""})
    [result] = drive(mwaa_cli(mode, mwaa), "version")
    assert result == CommandResult(command="version", stdout="x" * 100, stderr="")


# --- MWAA: the token ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_token_is_reused_within_its_life_and_renewed_after(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    reuse_for = CLI_TOKEN_LIFETIME - CLI_TOKEN_SAFETY_MARGIN
    assert 0 < reuse_for < CLI_TOKEN_LIFETIME
    mwaa.token(TOKEN_A)
    mwaa.token(TOKEN_B)
    for _ in range(4):
        httpx_mock.add_response(url=CLI_URL, json=mwaa_answer("ok"))
    drive(mwaa_cli(mode, mwaa), "version", reuse_for - 0.1, "version", 0.1, "version", 1.0, "version")
    assert bearer_tokens(httpx_mock) == [TOKEN_A, TOKEN_A, TOKEN_B, TOKEN_B]


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_token_age_counts_from_before_it_was_asked_for(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    cli = mwaa_cli(mode, mwaa)
    clock = cli._monotonic
    assert isinstance(clock, FakeClock)
    slow_client = _SlowTokenClient(mwaa.client, clock, delay=20.0)
    cli._environment._mwaa = slow_client
    mwaa.token(TOKEN_A)
    mwaa.token(TOKEN_B)
    for _ in range(3):
        httpx_mock.add_response(url=CLI_URL, json=mwaa_answer())
    # the first token took 20 s to arrive: 30 s later it is 50 s old and must not be reused
    drive(cli, "version", 20.0, "version", 10.0, "version")
    assert bearer_tokens(httpx_mock) == [TOKEN_A, TOKEN_A, TOKEN_B]


class _SlowTokenClient:
    """Forwards to a boto3 client; ``create_cli_token`` moves the fake clock on and notes its thread."""

    def __init__(self, client: Any, clock: FakeClock, delay: float = 0.0) -> None:
        self._client = client
        self._clock = clock
        self._delay = delay
        self.threads: list[int] = []

    def create_cli_token(self, **kwargs: Any) -> Any:
        self.threads.append(threading.get_ident())
        self._clock.now += self._delay
        return self._client.create_cli_token(**kwargs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "refusal",
    [
        {"status_code": 403, "json": {"error": "Forbidden"}},
        {"status_code": 401, "text": "Unauthorized"},
        {
            "status_code": 200,
            "html": '<html><form action="/aws_mwaa/login"><input name="login"></form></html>',
        },
    ],
    ids=["403", "401", "login-page"],
)
def test_mwaa_refused_reused_token_is_renewed_once(
    mode: str, refusal: dict[str, Any], mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    mwaa.token(TOKEN_A)
    mwaa.token(TOKEN_B)
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer("one"))
    httpx_mock.add_response(url=CLI_URL, **refusal)
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer("two"))
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer("three"))
    results = drive(mwaa_cli(mode, mwaa), "version", 10.0, "version", 1.0, "version")
    assert [r.stdout for r in results] == ["one", "two", "three"]
    assert bearer_tokens(httpx_mock) == [TOKEN_A, TOKEN_A, TOKEN_B, TOKEN_B]
    assert [r.content for r in httpx_mock.get_requests()] == [b"version"] * 4


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_fresh_token_refused_is_an_error_without_retry(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    mwaa.token(TOKEN_A)
    httpx_mock.add_response(url=CLI_URL, status_code=403, json={"error": "role may not run the CLI"})
    with pytest.raises(errors.CommandError) as info:
        drive(mwaa_cli(mode, mwaa), "dags list")
    assert info.value.status_code == 403
    assert info.value.command == "dags list"
    assert "a new CLI token was not accepted" in str(info.value)
    assert "role may not run the CLI" in str(info.value)
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_reused_then_fresh_token_refused_gives_up(mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock) -> None:
    mwaa.token(TOKEN_A)
    mwaa.token(TOKEN_B)
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer())
    httpx_mock.add_response(url=CLI_URL, status_code=403)
    httpx_mock.add_response(url=CLI_URL, status_code=403)
    with pytest.raises(errors.CommandError, match="not accepted"):
        drive(mwaa_cli(mode, mwaa), "version", 1.0, "version")
    assert bearer_tokens(httpx_mock) == [TOKEN_A, TOKEN_A, TOKEN_B]


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_token_failure_is_a_login_error(mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock) -> None:
    mwaa.stubber.add_client_error(
        "create_cli_token",
        service_error_code="ResourceNotFoundException",
        service_message="Environment my-env not found",
        http_status_code=404,
        expected_params={"Name": ENV},
    )
    with pytest.raises(errors.LoginError, match="Environment my-env not found") as info:
        drive(mwaa_cli(mode, mwaa), "version")
    assert info.value.provider == "mwaa"
    assert info.value.status_code == 404
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_boto3_call_runs_off_the_event_loop_in_async(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    cli = mwaa_cli(mode, mwaa)
    recorder = _SlowTokenClient(mwaa.client, FakeClock())
    cli._environment._mwaa = recorder
    mwaa.token()
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer())
    drive(cli, "version")
    same_thread = recorder.threads == [threading.get_ident()]
    assert same_thread is (mode == "sync")


# --- MWAA: errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_error_status_is_a_command_error_with_the_server_message(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    mwaa.token()
    httpx_mock.add_response(url=CLI_URL, status_code=500, text="Internal error: scheduler unreachable")
    with pytest.raises(errors.CommandError) as info:
        drive(mwaa_cli(mode, mwaa), ["dags", "trigger", "my_dag"])
    assert info.value.status_code == 500
    assert info.value.command == "dags trigger my_dag"
    assert str(info.value) == (
        f"MWAA CLI 'dags trigger' on environment 'my-env': POST {CLI_URL} -> "
        "500 Internal Server Error: Internal error: scheduler unreachable"
    )
    assert len(httpx_mock.get_requests()) == 1  # no retry: the command may have run


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (400, "400 Bad Request"),
        (403, "a new CLI token was not accepted: 403 Forbidden"),
        (500, "500 Internal Server Error"),
    ],
)
def test_mwaa_error_status_with_the_cli_output_decodes_it_into_the_error(
    mode: str, status: int, shown: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    mwaa.token()
    stderr = "[2024-01-01] WARNING - something\nairflow.exceptions.DagNotFound: Dag id my_dag not found\n"
    answer = mwaa_answer("partial output\n", stderr)
    httpx_mock.add_response(url=CLI_URL, status_code=status, json=answer)
    with pytest.raises(errors.CommandError) as info:
        drive(mwaa_cli(mode, mwaa), ["dags", "trigger", "my_dag"])
    assert (info.value.stdout, info.value.stderr) == ("partial output\n", stderr)
    assert info.value.status_code == status
    assert str(info.value) == (
        f"MWAA CLI 'dags trigger' on environment 'my-env': POST {CLI_URL} -> "
        f"{shown}: airflow.exceptions.DagNotFound: Dag id my_dag not found"
    )
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"content": b"<html>oops</html>", "headers": {"content-type": "text/html"}}, "Expecting value"),
        ({"json": ["not", "an", "object"]}, "not an object"),
        ({"json": {"stdout": b64("x")}}, "'stderr' is NoneType"),
        ({"json": {"stdout": "not base64!", "stderr": ""}}, "'stdout' is not base64"),
    ],
    ids=["not-json", "list", "missing-stderr", "bad-base64"],
)
def test_mwaa_undecodable_answer_is_a_command_error(
    mode: str, answer: dict[str, Any], why: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    mwaa.token()
    httpx_mock.add_response(url=CLI_URL, **answer)
    with pytest.raises(errors.CommandError, match="not the CLI's output") as info:
        drive(mwaa_cli(mode, mwaa), "version")
    assert why in str(info.value)
    assert info.value.status_code == 200


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "could not be sent: ConnectError"),
        (httpx.ReadTimeout("timed out"), "may still have run"),
    ],
)
def test_mwaa_transport_errors_are_command_errors(
    mode: str, exc: Exception, text: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    mwaa.token()
    httpx_mock.add_exception(exc, url=CLI_URL)
    with pytest.raises(errors.CommandError, match=text) as info:
        drive(mwaa_cli(mode, mwaa), "version")
    assert info.value.__cause__ is exc


# --- MWAA: refusing before anything is sent -----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("db clean", errors.UnsupportedCommandError),
        ("users list", errors.UnsupportedCommandError),
        (["variables", "set", "k", "a\nb"], ValueError),
        (["variables", "set", "k", "a\x00b"], ValueError),
        ("dags trigger 'x", ValueError),
        ("", ValueError),
        (["dags", "list", 1], TypeError),
    ],
)
def test_mwaa_bad_commands_are_refused_before_any_call(
    mode: str, command: Any, error: type[Exception], mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(error) as info:
        drive(mwaa_cli(mode, mwaa), command)
    if isinstance(info.value, errors.UnsupportedCommandError):
        assert info.value.supported == MWAA_COMMANDS
        assert "Supported commands (* = any subcommand): cheat-sheet, connections add," in str(info.value)
    assert httpx_mock.get_requests() == []
    # no create_cli_token call either: an unexpected one would fail on the empty Stubber queue


# --- MWAA: one command at a time ----------------------------------------------------------------


class InFlight:
    """A CLI endpoint that takes a moment to answer and records how many requests overlapped."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def _enter(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def _leave(self) -> None:
        with self.lock:
            self.now -= 1

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        time.sleep(self.delay)
        self._leave()
        return httpx.Response(200, json=mwaa_answer(request.content.decode()))

    async def answer(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        await asyncio.sleep(self.delay)
        self._leave()
        return httpx.Response(200, json=mwaa_answer(request.content.decode()))


def run_concurrently(mode: str, clis: list[MwaaCli | AsyncMwaaCli], per_cli: int) -> list[CommandResult]:
    commands = [f"dags trigger dag_{i}" for i in range(per_cli)]
    if mode == "sync":
        results: list[CommandResult] = []
        sync_clis = [c for c in clis if isinstance(c, MwaaCli)]

        def worker(cli: MwaaCli, command: str) -> None:
            results.append(cli.run(command))

        threads = [threading.Thread(target=worker, args=(c, cmd)) for c in sync_clis for cmd in commands]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in sync_clis:
            c.close()
        return results

    async_clis = [c for c in clis if isinstance(c, AsyncMwaaCli)]

    async def main() -> list[CommandResult]:
        try:
            return list(await asyncio.gather(*(c.run(cmd) for c in async_clis for cmd in commands)))
        finally:
            for c in async_clis:
                await c.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_sends_one_command_at_a_time_per_environment(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    server = InFlight()
    if mode == "sync":
        httpx_mock.add_callback(server, url=CLI_URL, is_reusable=True)
    else:
        httpx_mock.add_callback(server.answer, url=CLI_URL, is_reusable=True)
    mwaa.token(TOKEN_A)
    mwaa.token(TOKEN_B)
    # two runners of the same environment share the lock; each has its own token
    clis = [mwaa_cli(mode, mwaa), mwaa_cli(mode, mwaa)]
    results = run_concurrently(mode, clis, per_cli=4)
    assert len(results) == 8
    assert sorted(r.stdout for r in results) == sorted(r.command for r in results)
    assert server.most == 1
    assert sorted(set(bearer_tokens(httpx_mock))) == [TOKEN_A, TOKEN_B]


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_concurrency_check_sees_overlap_without_the_lock(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder above would notice overlapping requests: without the lock there are some."""
    monkeypatch.setattr(mwaa_cli_module, "_thread_lock", lambda key: contextlib.nullcontext())
    monkeypatch.setattr(mwaa_cli_module, "_loop_lock", lambda key: contextlib.nullcontext())
    server = InFlight()
    if mode == "sync":
        httpx_mock.add_callback(server, url=CLI_URL, is_reusable=True)
    else:
        httpx_mock.add_callback(server.answer, url=CLI_URL, is_reusable=True)
    cli = mwaa_cli(mode, mwaa)
    if mode == "sync":
        mwaa.token()
        cli.run("version")  # take the token first: boto3 itself is not under test here
    else:
        mwaa.token()
        asyncio.run(cli.run("version"))  # type: ignore[arg-type]
    run_concurrently(mode, [cli], per_cli=4)
    assert server.most > 1


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_different_environments_do_not_wait_for_each_other(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock
) -> None:
    server = InFlight(delay=0.05)
    if mode == "sync":
        httpx_mock.add_callback(server, url=CLI_URL, is_reusable=True)
    else:
        httpx_mock.add_callback(server.answer, url=CLI_URL, is_reusable=True)
    mwaa.token(TOKEN_A, name="env-1")
    mwaa.token(TOKEN_B, name="env-2")
    clis: list[MwaaCli | AsyncMwaaCli] = []
    for name in ("env-1", "env-2"):
        cls = MwaaCli if mode == "sync" else AsyncMwaaCli
        cli = cls(name, mwaa_client=mwaa.client, verify=TLS)
        cli._monotonic = FakeClock()
        clis.append(cli)
    run_concurrently(mode, clis, per_cli=1)
    assert server.most == 2


# --- MWAA: construction -------------------------------------------------------------------------


def test_importing_the_module_does_not_import_boto3() -> None:
    code = (
        "import sys, airflow_rest.providers.mwaa, airflow_rest.providers.dms; "
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("cls", [MwaaCli, AsyncMwaaCli])
def test_missing_boto3_names_the_extra(cls: type[MwaaCli], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(ImportError, match=r"pip install 'airflow-rest\[mwaa\]'"):
        cls(ENV, region_name="us-east-1")


@pytest.mark.parametrize("cls", [MwaaCli, AsyncMwaaCli])
def test_boto3_client_from_region_or_session(cls: type[MwaaCli]) -> None:
    cli = cls(ENV, region_name="eu-west-1")
    assert cli._environment.client().meta.region_name == "eu-west-1"
    assert cli._lock_key == ("eu-west-1", ENV)

    calls: list[tuple[str, str | None]] = []

    class Session:
        def client(self, service: str, region_name: str | None = None) -> Any:
            calls.append((service, region_name))
            return boto3.client("mwaa", region_name=region_name or "ap-southeast-1")

    cls(ENV, boto3_session=Session(), region_name="ap-southeast-1")
    assert calls == [("mwaa", "ap-southeast-1")]


@pytest.mark.parametrize("cls", [MwaaCli, AsyncMwaaCli])
def test_mwaa_constructor_checks(cls: type[MwaaCli], mwaa: Mwaa) -> None:
    with pytest.raises(ValueError, match="environment name"):
        cls("", mwaa_client=mwaa.client)
    with pytest.raises(ValueError, match="either mwaa_client or region_name"):
        cls(ENV, mwaa_client=mwaa.client, region_name="us-east-1")
    with pytest.raises(ValueError, match="timeout"):
        cls(ENV, mwaa_client=mwaa.client, timeout=0)
    assert cls(ENV, mwaa_client=mwaa.client).supported_commands == MWAA_COMMANDS


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_timeout_and_transport_are_used(mode: str, mwaa: Mwaa) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=mwaa_answer("via transport"))

    transport = httpx.MockTransport(handler)
    mwaa.token()
    cls = MwaaCli if mode == "sync" else AsyncMwaaCli
    cli = cls(ENV, mwaa_client=mwaa.client, timeout=120.0, transport=transport)
    [result] = drive(cli, "version")
    assert result.stdout == "via transport"
    assert seen[0].extensions["timeout"] == {"connect": 120.0, "read": 120.0, "write": 120.0, "pool": 120.0}


# --- DMS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_dms_exact_wire_keeps_the_path_prefix(mode: str, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url="https://dms.test/airflow/t1/w1/af-123/api/v1/command?command=dags+list",
        method="POST",
        match_headers={"Cookie": f"session={COOKIE}"},
        json={"stderr": "", "stdout": "dag_id | fileloc\n"},
    )
    [result] = drive(dms_cli(mode), "dags list")
    assert result == CommandResult(command="dags list", stdout="dag_id | fileloc\n", stderr="")
    [request] = httpx_mock.get_requests()
    assert str(request.url) == "https://dms.test/airflow/t1/w1/af-123/api/v1/command?command=dags+list"
    assert request.url.params["command"] == "dags list"  # what the server decodes
    assert request.headers["Cookie"] == f"session={COOKIE}"
    assert request.content == b""


@pytest.mark.parametrize("mode", MODES)
def test_dms_output_is_plain_text_and_arguments_are_quoted(mode: str, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"stderr": "WARNING ✓\n", "stdout": "2.10.4\n"})
    args = ["dags", "trigger", "my dag", "--conf", '{"a": 1}']
    [result] = drive(dms_cli(mode), args)
    assert result.stdout == "2.10.4\n"
    assert result.stderr == "WARNING ✓\n"
    request = httpx_mock.get_requests()[0]
    assert request.url.params["command"] == result.command == "dags trigger 'my dag' --conf '{\"a\": 1}'"
    assert shlex.split(request.url.params["command"]) == args
    assert request.url.raw_path == (
        b"/airflow/t1/w1/af-123/api/v1/command"
        b"?command=dags+trigger+%27my+dag%27+--conf+%27%7B%22a%22%3A+1%7D%27"
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("roles list", errors.UnsupportedCommandError),
        ("providers anything", errors.UnsupportedCommandError),
        (["variables", "set", "k", "a\r\nb"], ValueError),
        ('dags trigger "x', ValueError),
    ],
)
def test_dms_bad_commands_are_refused_before_any_request(
    mode: str, command: Any, error: type[Exception], httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(error) as info:
        drive(dms_cli(mode), command)
    if isinstance(info.value, errors.UnsupportedCommandError):
        assert info.value.supported == DMS_COMMANDS
        assert "db clean" in str(info.value)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"status_code": 400, "json": {"title": "Bad Request", "detail": "unknown dag 'x'"}},
            "-> 400 Bad Request: Bad Request: unknown dag 'x'",
        ),
        (
            {"status_code": 500, "text": "command runner crashed"},
            "-> 500 Internal Server Error: command runner crashed",
        ),
        ({"status_code": 404, "text": ""}, "-> 404 Not Found: (empty body)"),
    ],
)
def test_dms_error_status_is_a_command_error_with_the_server_message(
    mode: str, answer: dict[str, Any], expected: str, httpx_mock: HTTPXMock
) -> None:
    if "json" in answer:
        answer = {**answer, "headers": {"content-type": "application/problem+json"}}
        answer["content"] = json.dumps(answer.pop("json")).encode()
    httpx_mock.add_response(**answer)
    with pytest.raises(errors.CommandError) as info:
        drive(dms_cli(mode), "dags trigger x")
    message = str(info.value)
    assert message.startswith(
        "DMS CLI 'dags trigger' on https://dms.test/airflow/t1/w1/af-123/api/v1/: "
        "POST https://dms.test/airflow/t1/w1/af-123/api/v1/command "
    )
    assert message.endswith(expected)
    assert info.value.status_code == answer["status_code"]
    assert info.value.command == "dags trigger x"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "answer",
    [
        {"status_code": 200, "html": '<html><form action="/login/"><input name="password"></form></html>'},
        {"status_code": 302, "headers": {"location": "/airflow/t1/w1/af-123/login/?next=x"}},
        {"status_code": 401, "text": "Unauthorized"},
    ],
    ids=["login-page", "redirect-to-login", "401"],
)
def test_dms_session_not_accepted(mode: str, answer: dict[str, Any], httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(**answer)
    with pytest.raises(errors.CommandError, match="the DMS session was not accepted") as info:
        drive(dms_cli(mode), "version")
    assert info.value.status_code == answer["status_code"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "answer",
    [{"text": "2.10.4"}, {"json": {"stdout": "2.10.4\n"}}, {"json": {"stdout": 1, "stderr": ""}}],
    ids=["not-json", "missing-stderr", "not-text"],
)
def test_dms_undecodable_answer_is_a_command_error(
    mode: str, answer: dict[str, Any], httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(**answer)
    with pytest.raises(errors.CommandError, match="not the CLI's output"):
        drive(dms_cli(mode), "version")


@pytest.mark.parametrize("mode", MODES)
def test_dms_transport_error_is_a_command_error(mode: str, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(errors.CommandError, match="could not be sent: ConnectError"):
        drive(dms_cli(mode), "version")


@pytest.mark.parametrize("mode", MODES)
def test_dms_client_must_be_rooted_at_the_api(mode: str) -> None:
    with pytest.raises(ValueError, match=r"must be the DMS API root, \{Host\}/api/v1/"):
        dms_cli(mode, base_url="https://dms.test/airflow/t1/w1/af-123")
    with pytest.raises(ValueError, match="DMS API root"):
        dms_cli(mode, base_url="")
    wrong = httpx.AsyncClient() if mode == "sync" else httpx.Client()
    with pytest.raises(TypeError, match="needs an httpx"):
        (DmsCli if mode == "sync" else AsyncDmsCli)(wrong)  # type: ignore[arg-type]
    assert dms_cli(mode).supported_commands == DMS_COMMANDS


# --- one interface ------------------------------------------------------------------------------


def test_runners_share_one_interface(mwaa: Mwaa) -> None:
    """Both runners fit the protocols (statically too: these lists type-check under mypy --strict)."""
    sync_http, async_http = httpx.Client(base_url=DMS_API), httpx.AsyncClient(base_url=DMS_API)
    sync_runners: list[RemoteCli] = [MwaaCli(ENV, mwaa_client=mwaa.client), DmsCli(sync_http)]
    async_runners: list[AsyncRemoteCli] = [
        AsyncMwaaCli(ENV, mwaa_client=mwaa.client),
        AsyncDmsCli(async_http),
    ]
    for runner in sync_runners:
        assert isinstance(runner, RemoteCli)
        assert "version" in runner.supported_commands
    for arunner in async_runners:
        assert isinstance(arunner, AsyncRemoteCli)
        assert asyncio.iscoroutinefunction(arunner.run)
    sync_http.close()
    asyncio.run(async_http.aclose())


# --- secrets ------------------------------------------------------------------------------------


SECRETS = (TOKEN_A, TOKEN_B, COOKIE)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize("mode", MODES)
def test_mwaa_token_never_in_logs_reprs_or_errors(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_rest")
    caplog.set_level(logging.DEBUG, logger="httpx")
    mwaa.token(TOKEN_A)
    mwaa.token(TOKEN_B)
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer("ok"))
    httpx_mock.add_response(url=CLI_URL, status_code=403, text="bad token")
    # the server echoes the token it refused: the message must not
    httpx_mock.add_response(url=CLI_URL, status_code=400, text=f"token {TOKEN_B} cannot run this")
    cli = mwaa_cli(mode, mwaa)
    runner_repr = repr(cli)
    results: list[CommandResult] = []
    with pytest.raises(errors.CommandError) as info:
        drive(cli, ["dags", "trigger", "my_dag"], 1.0, "version", out=results)
    [result] = results
    assert "MWAA CLI 'dags trigger' on environment 'my-env'" in caplog.text
    assert "MWAA CLI token for environment 'my-env' refused (403)" in caplog.text
    assert "***" in str(info.value)
    assert_no_secret(
        caplog.text,
        runner_repr,
        repr(cli),
        repr(cli._token),
        repr(result),
        str(info.value),
        repr(info.value),
        repr(info.value.__dict__),
    )


@pytest.mark.parametrize("mode", MODES)
def test_dms_cookie_never_in_logs_reprs_or_errors(
    mode: str, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_rest")
    caplog.set_level(logging.DEBUG, logger="httpx")
    httpx_mock.add_response(json={"stdout": "x", "stderr": ""})
    httpx_mock.add_response(html='<html><form action="/login/"><input name="password"></form></html>')
    cli = dms_cli(mode)
    runner_repr = repr(cli)
    with pytest.raises(errors.CommandError) as info:
        drive(cli, "variables list", "variables list")
    assert "DMS CLI 'variables list' on https://dms.test/airflow/t1/w1/af-123/api/v1/" in caplog.text
    assert COOKIE in httpx_mock.get_requests()[0].headers["Cookie"]
    assert_no_secret(caplog.text, runner_repr, str(info.value), repr(info.value), repr(info.value.__dict__))


@pytest.mark.parametrize("mode", MODES)
def test_logs_name_the_command_words_not_the_arguments(
    mode: str, mwaa: Mwaa, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="airflow_rest")
    caplog.set_level(logging.DEBUG, logger="httpx")
    command = ["connections", "add", "db", "--conn-password", "pw-s3cr3t"]
    mwaa.token()
    httpx_mock.add_response(url=CLI_URL, json=mwaa_answer())
    httpx_mock.add_response(json={"stdout": "", "stderr": ""})
    drive(mwaa_cli(mode, mwaa), command)
    drive(dms_cli(mode), command)
    assert "MWAA CLI 'connections add' on environment 'my-env'" in caplog.text
    assert "DMS CLI 'connections add' on https://dms.test/" in caplog.text
    # httpx logs each request's URL at INFO: the DMS command (in the query) is hidden there
    assert "/api/v1/command?command=%2A%2A%2A" in caplog.text
    assert "pw-s3cr3t" not in caplog.text
    assert httpx_mock.get_requests()[1].url.params["command"].endswith("--conn-password pw-s3cr3t")


@pytest.mark.parametrize("as_text", [False, True], ids=["url", "text"])
def test_dms_command_is_hidden_in_logged_urls_before_or_after_other_filters(as_text: bool) -> None:
    url = httpx.URL(f"{DMS_API}command", params={"command": "variables set k s3cr3t"})
    hidden = dms_cli_module._hide_command(str(url) if as_text else url)
    assert hidden == f"{DMS_API}command?command=%2A%2A%2A"
    other = "https://airflow.test/api/v1/dags?limit=5"
    assert dms_cli_module._hide_command(other) == other
    assert dms_cli_module._hide_command(httpx.URL(other)) == httpx.URL(other)
    assert dms_cli_module._hide_command("POST") == "POST"
