#!/usr/bin/env python3.11
"""Manage the local Apache Airflow that the integration tests talk to.

    python3.11 scripts/airflow_local.py up | down | status

Standard library only: this runs with the system python3.11, before any virtualenv exists.

Everything lives under ``AIRFLOW_LOCAL_DIR`` (default ``<repo>/.airflow``, git-ignored):

    venv/           Airflow's own virtualenv; venv/.airflow-local-stamp says which version got installed
    home/           AIRFLOW_HOME (sqlite database, task logs)
    run/            webserver.pid, scheduler.pid: the process-group leaders `up` started; gunicorn.pid
    logs/           webserver.log, scheduler.log, setup.log (the previous run's as *.log.1)

Airflow is configured only through ``AIRFLOW__SECTION__KEY`` environment variables (see ``airflow_env``),
never by editing airflow.cfg (Airflow writes a default one into home/ itself). The webserver listens on
127.0.0.1:$AIRFLOW_PORT (default 28080) and nothing else is bound: the scheduler's log server (it would bind
0.0.0.0:8793) and health-check server are not started.

Environment:
    AIRFLOW_PORT          webserver port (default 28080)
    AIRFLOW_VERSION       Airflow version (default: contents of spec/AIRFLOW_VERSION)
    AIRFLOW_USER          API/UI user, role Admin (default admin)
    AIRFLOW_PASSWORD      its password (default admin)
    AIRFLOW_LOCAL_DIR     state directory (default <repo>/.airflow)
    AIRFLOW_UP_TIMEOUT    seconds `up` waits for the health endpoint after starting (default 240)

Exit codes: ``up``/``down`` 0 on success, 1 on failure (2 when the port is taken by someone else);
``status`` 0 when healthy, 1 when running but unhealthy or only partly running, 3 when not running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("AIRFLOW_LOCAL_DIR") or REPO / ".airflow").resolve()
VENV = LOCAL_DIR / "venv"
HOME = LOCAL_DIR / "home"
RUN = LOCAL_DIR / "run"
LOGS = LOCAL_DIR / "logs"
STAMP = VENV / ".airflow-local-stamp"
DAGS_FOLDER = REPO / "tests" / "integration" / "dags"

HOST = "127.0.0.1"
PORT = int(os.environ.get("AIRFLOW_PORT") or 28080)
USER = os.environ.get("AIRFLOW_USER") or "admin"
PASSWORD = os.environ.get("AIRFLOW_PASSWORD") or "admin"
UP_TIMEOUT = float(os.environ.get("AIRFLOW_UP_TIMEOUT") or 240)
STOP_TIMEOUT = 20.0
BASE_URL = f"http://{HOST}:{PORT}"
HEALTH_URL = f"{BASE_URL}/api/v1/health"

# Fixed keys: this Airflow only ever listens on the loopback interface and holds throwaway test data.
SECRET_KEY = "airflow-rest-local-secret-key-not-for-production"
FERNET_KEY = "YWlyZmxvdy1yZXN0LWxvY2FsLWZlcm5ldC1rZXktMzI="  # urlsafe base64 of 32 bytes

PROCESSES = ("webserver", "scheduler")


def airflow_version() -> str:
    override = os.environ.get("AIRFLOW_VERSION", "").strip()
    return override or (REPO / "spec" / "AIRFLOW_VERSION").read_text().strip()


def constraints_file(version: str) -> Path:
    return REPO / "requirements" / f"airflow-{version}.txt"


def airflow_env() -> dict[str, str]:
    """The environment every airflow command gets: its venv first on PATH, config as env vars."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env["AIRFLOW_HOME"] = str(HOME)
    logs = HOME / "logs"
    config = {
        "CORE__EXECUTOR": "SequentialExecutor",
        "CORE__LOAD_EXAMPLES": "True",
        "CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "CORE__LOAD_DEFAULT_CONNECTIONS": "False",
        "CORE__FERNET_KEY": FERNET_KEY,
        "DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME / 'airflow.db'}",
        "WEBSERVER__EXPOSE_CONFIG": "True",
        "WEBSERVER__SECRET_KEY": SECRET_KEY,
        "WEBSERVER__WORKERS": "1",
        "WEBSERVER__WEB_SERVER_HOST": HOST,
        "WEBSERVER__WEB_SERVER_PORT": str(PORT),
        "WEBSERVER__BASE_URL": BASE_URL,
        "API__AUTH_BACKENDS": ",".join(
            (
                "airflow.providers.fab.auth_manager.api.auth.backend.basic_auth",
                "airflow.providers.fab.auth_manager.api.auth.backend.session",
            )
        ),
        "SCHEDULER__DAG_DIR_LIST_INTERVAL": "10",
        "SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": HOST,
        "SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY": str(logs / "scheduler"),
        "LOGGING__BASE_LOG_FOLDER": str(logs),
        "LOGGING__DAG_PROCESSOR_MANAGER_LOG_LOCATION": str(logs / "dag_processor_manager.log"),
    }
    env.update({f"AIRFLOW__{key}": value for key, value in config.items()})
    return env


# --------------------------------------------------------------------------------------------- output


def say(message: str) -> None:
    print(f"airflow-local: {message}", flush=True)


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def print_tail(path: Path, lines: int = 40) -> None:
    print(f"----- last {lines} lines of {path} -----", file=sys.stderr)
    print(tail(path, lines), file=sys.stderr)
    print("-----", file=sys.stderr, flush=True)


class Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def phase(name: str, timings: list[tuple[str, float]]) -> Iterator[None]:
    say(f"{name} ...")
    start = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - start
        timings.append((name, elapsed))
        say(f"{name}: {elapsed:.1f}s")


# ------------------------------------------------------------------------------------------- /proc


def _stat(pid: int) -> tuple[str, int, int, int, int] | None:
    """(state, ppid, pgid, sid, starttime) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    rest = raw.rsplit(")", 1)[1].split()
    return rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[19])


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def alive(pid: int, starttime: int | None = None) -> bool:
    """Running (not a zombie) and, when given, still the same process (pid not reused)."""
    stat = _stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return starttime is None or stat[4] == starttime


def is_ours(pid: int) -> bool:
    """Whether the process belongs to this Airflow: its cwd, command line or environment names LOCAL_DIR."""
    marker = f"{LOCAL_DIR}{os.sep}".encode()
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
        if cwd == str(LOCAL_DIR) or cwd.startswith(str(LOCAL_DIR) + os.sep):
            return True
    except OSError:
        pass
    for name in ("cmdline", "environ"):
        try:
            if marker in Path(f"/proc/{pid}/{name}").read_bytes():
                return True
        except OSError:
            pass
    return False


def pid_file(name: str) -> Path:
    return RUN / f"{name}.pid"


def read_pid(name: str) -> int | None:
    try:
        return int(pid_file(name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def running_pid(name: str) -> int | None:
    """The recorded pid of a process if it is alive and ours, else None."""
    pid = read_pid(name)
    if pid is not None and pid > 1 and alive(pid) and is_ours(pid):
        return pid
    return None


def process_tree(leader: int, known: dict[int, int] | None = None) -> dict[int, int]:
    """pid -> starttime of everything to stop for one recorded leader pid.

    Roots: the leader (if alive and ours), the still-alive processes in `known` (collected earlier), and
    anything in the leader's session or process group that is ours (orphans of a dead parent). Then all
    their descendants, by parent pid: Airflow's task runners call setpgid and bash tasks even setsid, so
    the process group alone does not hold them.
    """
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[str, int, int, int, int]] = {}
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X") or pid == os.getpid():
            continue
        stats[pid] = stat
        children.setdefault(stat[1], []).append(pid)

    roots = [pid for pid, start in (known or {}).items() if pid in stats and stats[pid][4] == start]
    if leader in stats and is_ours(leader):
        roots.append(leader)
    roots += [pid for pid, st in stats.items() if leader in (st[2], st[3]) and is_ours(pid)]
    found: dict[int, int] = {}
    while roots:
        pid = roots.pop()
        if pid not in found and pid in stats:
            found[pid] = stats[pid][4]
            roots.extend(children.get(pid, []))
    return found


def _signal_all(procs: dict[int, int], sig: signal.Signals) -> None:
    for pid, starttime in procs.items():
        if alive(pid, starttime):
            with suppress(ProcessLookupError):
                os.kill(pid, sig)


def _fmt(pids: Iterable[int]) -> str:
    return " ".join(map(str, sorted(pids)))


def stop_process(name: str) -> bool:
    """Stop one recorded process and its whole tree. Returns whether anything was running."""
    leader = read_pid(name)
    if leader is None or leader <= 1:
        pid_file(name).unlink(missing_ok=True)
        return False
    procs = process_tree(leader)  # the whole tree is collected before anything is signalled
    if not procs:
        pid_file(name).unlink(missing_ok=True)
        return False
    say(f"stopping {name} (pid {leader}; {len(procs)} process(es): {_fmt(procs)})")
    stat = _stat(leader)
    if leader in procs and stat is not None and stat[2] == leader:  # it leads its own process group
        with suppress(ProcessLookupError):
            os.killpg(leader, signal.SIGTERM)
    _signal_all(procs, signal.SIGTERM)
    # On SIGTERM the SequentialExecutor still runs the task instances already queued before the scheduler
    # exits: keep looking for new descendants while waiting, and stop them too.
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        new = {pid: start for pid, start in process_tree(leader, procs).items() if pid not in procs}
        if new:
            say(f"{name}: also stopping {_fmt(new)}, started meanwhile")
            procs.update(new)
            _signal_all(new, signal.SIGTERM)
        if not any(alive(pid, start) for pid, start in procs.items()):
            break
        time.sleep(0.2)
    survivors = {pid: start for pid, start in procs.items() if alive(pid, start)}
    if survivors:
        say(f"{name}: SIGKILL to {_fmt(survivors)} after {STOP_TIMEOUT:.0f}s")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            procs.update(process_tree(leader, procs))
            if not any(alive(pid, start) for pid, start in procs.items()):
                break
            _signal_all(procs, signal.SIGKILL)
            time.sleep(0.1)
    left = [pid for pid, start in procs.items() if alive(pid, start)]
    if left:
        raise Failure(f"{name}: could not stop {_fmt(left)}")
    pid_file(name).unlink(missing_ok=True)
    say(f"stopped {name}")
    return True


# -------------------------------------------------------------------------------------------- health


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def health() -> dict[str, object] | None:
    """The JSON of /api/v1/health when it answers 200, else None."""
    try:
        with _OPENER.open(HEALTH_URL, timeout=3) as response:
            if response.status != 200:
                return None
            data = json.loads(response.read())
            return data if isinstance(data, dict) else None
    except (OSError, ValueError, urllib.error.URLError):
        return None


def scheduler_healthy(data: dict[str, object] | None, since: datetime | None = None) -> bool:
    """Scheduler reported healthy (and, given `since`, by a heartbeat newer than that)."""
    scheduler = data.get("scheduler") if data else None
    if not isinstance(scheduler, dict) or scheduler.get("status") != "healthy":
        return False
    if since is None:
        return True
    beat = scheduler.get("latest_scheduler_heartbeat")
    try:
        beat_at = datetime.fromisoformat(str(beat))
    except ValueError:
        return False
    if beat_at.tzinfo is None:
        beat_at = beat_at.replace(tzinfo=UTC)
    return beat_at >= since


def port_in_use() -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, PORT)) == 0


# ------------------------------------------------------------------------------------------- install


def run_logged(args: list[str], log: Path, what: str, env: dict[str, str] | None = None) -> None:
    """Run a command, its output appended to `log`; on failure show the log's tail and raise."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=HOME, check=False)
    if result.returncode != 0:
        print_tail(log)
        raise Failure(f"{what} failed (exit {result.returncode}); full output in {log}")


def stamp_for(version: str) -> str:
    return f"apache-airflow=={version}\n"


def ensure_installed(version: str, log: Path) -> bool:
    """Create VENV with Airflow `version` unless the stamp says it is there. Returns whether it installed."""
    try:
        if STAMP.read_text() == stamp_for(version) and (VENV / "bin" / "airflow").exists():
            return False
    except OSError:
        pass
    if VENV.exists():
        say(f"{VENV}: no stamp for {version}; recreating it")
        shutil.rmtree(VENV)
    run_logged([sys.executable, "-m", "venv", str(VENV)], log, "creating the Airflow virtualenv")
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    constraints = constraints_file(version)
    if constraints.exists():
        say(f"installing apache-airflow=={version} with constraints {constraints.relative_to(REPO)}")
        pip += ["-c", str(constraints)]
    else:
        say(f"installing apache-airflow=={version} (no {constraints.relative_to(REPO)}: unconstrained)")
    run_logged([*pip, f"apache-airflow=={version}"], log, "pip install apache-airflow")
    STAMP.write_text(stamp_for(version))
    return True


# ------------------------------------------------------------------------------------------ commands


def _alive_and_ours() -> dict[str, int | None]:
    return {name: running_pid(name) for name in PROCESSES}


def _rotate(log: Path) -> None:
    if log.exists():
        log.replace(log.with_name(log.name + ".1"))


def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = LOGS / f"{name}.log"
    _rotate(log)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=HOME,
            start_new_session=True,
        )
    pid_file(name).write_text(f"{proc.pid}\n")
    say(f"started {name} (pid {proc.pid}, log {log})")
    return proc


def up() -> int:
    total_start = time.monotonic()
    running = _alive_and_ours()
    if all(running.values()):
        data = health()
        if data is not None and scheduler_healthy(data):
            pids = ", ".join(f"{name} pid {pid}" for name, pid in running.items())
            say(f"already running at {BASE_URL} ({pids})")
            return 0
    if any(running.values()):
        say("partly running or unhealthy: restarting")
        for name in PROCESSES:
            stop_process(name)
    else:
        for name in PROCESSES:  # stale pid files, or orphans of a dead leader
            stop_process(name)
    if port_in_use():
        raise Failure(
            f"port {HOST}:{PORT} is already in use by a process this script did not start; "
            "stop it or choose another port with AIRFLOW_PORT",
            code=2,
        )

    for directory in (LOCAL_DIR, HOME, RUN, LOGS):
        directory.mkdir(parents=True, exist_ok=True)
    setup_log = LOGS / "setup.log"
    _rotate(setup_log)
    version = airflow_version()
    env = airflow_env()
    airflow = str(VENV / "bin" / "airflow")
    timings: list[tuple[str, float]] = []

    with phase(f"install apache-airflow=={version} (if needed)", timings):
        if not ensure_installed(version, setup_log):
            say(f"{VENV} already has apache-airflow=={version}")
    with phase("airflow db migrate", timings):
        run_logged([airflow, "db", "migrate"], setup_log, "airflow db migrate", env)
    with phase(f"airflow users create {USER} (if missing)", timings):
        run_logged(
            [
                airflow,
                "users",
                "create",
                "--username",
                USER,
                "--password",
                PASSWORD,
                "--role",
                "Admin",
                "--email",
                f"{USER}@example.com",
                "--firstname",
                "Airflow",
                "--lastname",
                "Admin",
            ],
            setup_log,
            "airflow users create",
            env,
        )
    with phase("airflow dags reserialize", timings):
        run_logged([airflow, "dags", "reserialize"], setup_log, "airflow dags reserialize", env)

    # Gunicorn refuses to start while its pid file names a live process (a stale file after a SIGKILL, its
    # pid since reused); nothing of ours runs now, so any such file is stale.
    gunicorn_pid = RUN / "gunicorn.pid"
    gunicorn_pid.unlink(missing_ok=True)
    webserver = [airflow, "webserver", "--hostname", HOST, "--port", str(PORT), "--workers", "1"]
    started: dict[str, subprocess.Popen[bytes]] = {}
    since = datetime.now(UTC).replace(microsecond=0)
    try:
        with phase(f"start and wait for health at {HEALTH_URL}", timings):
            started["webserver"] = start("webserver", [*webserver, "--pid", str(gunicorn_pid)], env)
            started["scheduler"] = start("scheduler", [airflow, "scheduler", "--skip-serve-logs"], env)
            wait_healthy(started, since)
    except BaseException:
        say("start failed: stopping what was started")
        for name in PROCESSES:
            try:
                stop_process(name)
            except Failure as exc:
                say(str(exc))
        for proc in started.values():
            proc.poll()
        raise
    say(
        f"up at {BASE_URL} (user {USER}) in {time.monotonic() - total_start:.1f}s: "
        + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings)
    )
    return 0


def wait_healthy(started: dict[str, subprocess.Popen[bytes]], since: datetime) -> None:
    deadline = time.monotonic() + UP_TIMEOUT
    last = "no answer yet"
    while True:
        for name, proc in started.items():
            if proc.poll() is not None:
                print_tail(LOGS / f"{name}.log")
                raise Failure(f"{name} exited with code {proc.returncode} while starting")
        data = health()
        if data is not None:
            last = json.dumps(data)
            if scheduler_healthy(data, since):
                say(f"healthy: {last}")
                return
        if time.monotonic() > deadline:
            for name in started:
                print_tail(LOGS / f"{name}.log")
            raise Failure(f"not healthy after {UP_TIMEOUT:.0f}s (last health: {last})")
        time.sleep(1)


def down() -> int:
    stopped = [name for name in PROCESSES if stop_process(name)]
    say(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def status() -> int:
    running = _alive_and_ours()
    for name in PROCESSES:
        pid = running[name]
        say(f"{name}: {'running (pid ' + str(pid) + ')' if pid else 'not running'}")
    data = health()
    say(f"{HEALTH_URL}: {json.dumps(data) if data is not None else 'no answer'}")
    if all(running.values()) and scheduler_healthy(data):
        say("healthy")
        return 0
    if not any(running.values()):
        return 3
    say("unhealthy")
    return 1


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    commands = {"up": up, "down": down, "status": status}
    if len(args) != 1 or args[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        return commands[args[0]]()
    except Failure as exc:
        say(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
