#!/usr/bin/env python3.11
"""Manage the local Apache Airflow servers that the integration tests talk to.

    python3.11 scripts/airflow_local.py up | down | status [--major 2|3]

Standard library only: this runs with the system python3.11, before any virtualenv exists. One module
holds the machinery (process groups, PID files, stopping, health waiting, installing with a stamp, log
rotation, port checks, timed phases); ``Airflow2`` and ``Airflow3`` supply only their settings. Only one
of the two may run at a time on a small machine: bring one down before bringing the other up.

``--major 2`` (the default; ``make airflow-up``/``airflow-down``/``airflow-status``): Airflow 2 with a
webserver and a scheduler (SequentialExecutor), basic-auth and session API backends, the example DAGs
plus tests/integration/dags. Everything lives under ``AIRFLOW_LOCAL_DIR`` (default ``<repo>/.airflow``):

    venv/           Airflow's own virtualenv; venv/.airflow-local-stamp says which version got installed
    home/           AIRFLOW_HOME (sqlite database, task logs)
    run/            webserver.pid, scheduler.pid: the process-group leaders `up` started; gunicorn.pid
    logs/           webserver.log, scheduler.log, setup.log (the previous run's as *.log.1)

The webserver listens on 127.0.0.1:$AIRFLOW_PORT (default 28080) and nothing else is bound: the
scheduler's log server (it would bind 0.0.0.0:8793) and health-check server are not started.

``--major 3`` (``make airflow3-up``/``airflow3-down``/``airflow3-status``): Airflow 3 with four processes,
``api-server`` (one worker), ``scheduler`` (LocalExecutor, parallelism 4), ``dag-processor`` and
``triggerer``; the SimpleAuthManager with a known user (JWTs from ``POST /auth/token``), the example DAGs
plus tests/integration_v2/dags. Everything lives under ``AIRFLOW3_LOCAL_DIR`` (default ``<repo>/.airflow3``):

    <version>/venv/ that version's virtualenv (one per version, so switching back and forth is fast)
    <version>/home/ its AIRFLOW_HOME (sqlite database, task logs, the simple auth manager's passwords file)
    run/            api-server.pid, scheduler.pid, dag-processor.pid, triggerer.pid; version (what runs)
    logs/           one log per process and setup.log (the previous run's as *.log.1)

The API server listens on 127.0.0.1:$AIRFLOW3_PORT (default 28180) and serves the execution API the task
runners call; the scheduler and triggerer log servers (which would bind every interface) are not started,
and their ports are set to loopback ports of ours all the same. Before starting, `up` parses every DAG into
the database (``airflow dags reserialize``, as for 2); it returns once the scheduler, DAG processor and
triggerer are healthy and ``GET /api/v2/dags`` with a token lists DAGs of both folders.

Airflow is configured only through ``AIRFLOW__SECTION__KEY`` environment variables (see ``config``), never
by editing airflow.cfg. Each major reads the same settings under its own prefix, ``AIRFLOW_`` for 2 and
``AIRFLOW3_`` for 3:

    <P>_PORT              API port (2: 28080, 3: 28180)
    <P>_VERSION           Airflow version (default: the pin, for 2 in spec/v1/AIRFLOW_VERSION or else
                          spec/AIRFLOW_VERSION, for 3 in spec/v2/AIRFLOW_VERSION);
                          requirements/airflow-<version>.txt pins its dependencies when it exists,
                          else apache-airflow==<version> is installed unpinned
    <P>_USER              API/UI user with the admin role (default admin)
    <P>_PASSWORD          its password (default admin)
    <P>_LOCAL_DIR         state directory (default <repo>/.airflow or <repo>/.airflow3)
    <P>_UP_TIMEOUT        seconds `up` waits for health (and, for 3, the DAGs) after starting (default 240)
    AIRFLOW3_WORKER_LOG_PORT, AIRFLOW3_TRIGGER_LOG_PORT
                          the (unserved) worker and triggerer log server ports (default 28181, 28182)

Exit codes: ``up``/``down`` 0 on success, 1 on failure (2 when a port is taken by someone else);
``status`` 0 when healthy, 1 when running but unhealthy or only partly running, 3 when not running.
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STOP_TIMEOUT = 20.0

# Fixed keys: these servers only ever listen on the loopback interface and hold throwaway test data.
SECRET_KEY = "airflow-rest-local-secret-key-not-for-production"
FERNET_KEY = "YWlyZmxvdy1yZXN0LWxvY2FsLWZlcm5ldC1rZXktMzI="  # urlsafe base64 of 32 bytes
JWT_SECRET = "airflow-rest-local-jwt-secret-not-for-production"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"

Timings = list[tuple[str, float]]


class Failure(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def print_tail(path: Path, lines: int = 40) -> None:
    try:
        text = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        text = f"(no log at {path})"
    print(f"----- last {lines} lines of {path} -----", file=sys.stderr)
    print(text, file=sys.stderr)
    print("-----", file=sys.stderr, flush=True)


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


def _pgid(pid: int) -> int | None:
    stat = _stat(pid)
    return None if stat is None else stat[2]


def _signal_all(procs: dict[int, int], sig: signal.Signals) -> None:
    for pid, starttime in procs.items():
        if alive(pid, starttime):
            with suppress(ProcessLookupError):
                os.kill(pid, sig)


def _fmt(pids: Iterable[int]) -> str:
    return " ".join(map(str, sorted(pids)))


# -------------------------------------------------------------------------------------------- HTTP


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def http_json(url: str, body: dict[str, str] | None = None, token: str | None = None) -> Any:
    """The decoded JSON of a 2xx answer to GET (or POST of `body` as JSON), else None."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with _OPENER.open(request, timeout=5) as response:
            if not 200 <= response.status < 300:
                return None
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def _heartbeat_since(entry: dict[str, Any], key: str, since: datetime) -> bool:
    try:
        beat_at = datetime.fromisoformat(str(entry.get(key)))
    except ValueError:
        return False
    if beat_at.tzinfo is None:
        beat_at = beat_at.replace(tzinfo=UTC)
    return beat_at >= since


# ------------------------------------------------------------------------------------------ machinery


class Local:
    """One local Airflow: the shared machinery. Subclasses set the class attributes and settings hooks."""

    major: ClassVar[int]
    prefix: ClassVar[str]  # of this major's environment variables, e.g. AIRFLOW -> AIRFLOW_PORT
    default_dir: ClassVar[str]
    default_port: ClassVar[int]
    version_files: ClassVar[tuple[Path, ...]]  # the first that exists holds the default (pinned) version
    dags_folder: ClassVar[Path]
    processes: ClassVar[tuple[str, ...]]  # in start order; each is a process group with a pid file
    health_path: ClassVar[str]
    components: ClassVar[tuple[str, ...]]  # health entries that must be healthy, by a fresh heartbeat

    def __init__(self) -> None:
        self.local_dir = Path(self.setting("LOCAL_DIR") or REPO / self.default_dir).resolve()
        self.run = self.local_dir / "run"
        self.logs = self.local_dir / "logs"
        self.port = int(self.setting("PORT") or self.default_port)
        self.user = self.setting("USER") or "admin"
        self.password = self.setting("PASSWORD") or "admin"
        self.up_timeout = float(self.setting("UP_TIMEOUT") or 240)
        self.base_url = f"http://{HOST}:{self.port}"
        self.health_url = self.base_url + self.health_path
        self.version = self.setting("VERSION") or self.pinned_version()

    @classmethod
    def pinned_version(cls) -> str:
        for path in cls.version_files:
            if path.exists():
                return path.read_text().strip()
        raise Failure(f"no pinned version: none of {', '.join(map(str, cls.version_files))} exists")

    @classmethod
    def setting(cls, name: str) -> str:
        return os.environ.get(f"{cls.prefix}_{name}", "").strip()

    # ---------------------------------------------------------------------------- settings hooks

    def venv_dir(self) -> Path:
        raise NotImplementedError

    def home(self) -> Path:
        raise NotImplementedError

    def config(self) -> dict[str, str]:
        """[section] key -> value as SECTION__KEY -> value; they become AIRFLOW__SECTION__KEY."""
        raise NotImplementedError

    def commands(self, airflow: str) -> dict[str, list[str]]:
        """The command line of each process, by name."""
        raise NotImplementedError

    def ports(self) -> dict[str, int]:
        """What listens where once up; each must be free before starting."""
        return {self.processes[0]: self.port}

    def create_user(self, airflow: str, env: dict[str, str], log: Path, timings: Timings) -> None:
        """Make sure the API user exists with the known password."""
        raise NotImplementedError

    def prepare(self, airflow: str, env: dict[str, str], log: Path, timings: Timings) -> None:
        """Setup before the processes start: database, user, and every DAG parsed into the database.

        `dags reserialize` parses all DAG files once, so the tests find every DAG the moment `up` returns
        (the DAG processor alone stores them file by file over several seconds).
        """
        with self.phase("airflow db migrate", timings):
            self.run_logged([airflow, "db", "migrate"], log, "airflow db migrate", env)
        self.create_user(airflow, env, log, timings)
        with self.phase("airflow dags reserialize", timings):
            self.run_logged([airflow, "dags", "reserialize"], log, "airflow dags reserialize", env)

    def wait_ready(self, timings: Timings, started: dict[str, subprocess.Popen[bytes]]) -> None:
        """After health: wait for whatever else the tests need at once."""

    # ------------------------------------------------------------------------------------ output

    def say(self, message: str) -> None:
        name = "airflow-local" if self.major == 2 else f"airflow{self.major}-local"
        print(f"{name}: {message}", flush=True)

    @contextmanager
    def phase(self, name: str, timings: Timings) -> Iterator[None]:
        self.say(f"{name} ...")
        start = time.monotonic()
        try:
            yield
        finally:
            elapsed = time.monotonic() - start
            timings.append((name, elapsed))
            self.say(f"{name}: {elapsed:.1f}s")

    # ------------------------------------------------------------------------------- environment

    def env(self) -> dict[str, str]:
        """The environment every airflow command gets: its venv first on PATH, config as env vars."""
        venv = self.venv_dir()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        env["VIRTUAL_ENV"] = str(venv)
        env["AIRFLOW_HOME"] = str(self.home())
        env.update({f"AIRFLOW__{key}": value for key, value in self.config().items()})
        return env

    # ------------------------------------------------------------------------------ pid files

    def is_ours(self, pid: int) -> bool:
        """Whether the process belongs to this Airflow: its cwd, command line or environment names the dir."""
        marker = f"{self.local_dir}{os.sep}".encode()
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            if cwd == str(self.local_dir) or cwd.startswith(str(self.local_dir) + os.sep):
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

    def pid_file(self, name: str) -> Path:
        return self.run / f"{name}.pid"

    def read_pid(self, name: str) -> int | None:
        try:
            return int(self.pid_file(name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def running_pid(self, name: str) -> int | None:
        """The recorded pid of a process if it is alive and ours, else None."""
        pid = self.read_pid(name)
        if pid is not None and pid > 1 and alive(pid) and self.is_ours(pid):
            return pid
        return None

    def running(self) -> dict[str, int | None]:
        return {name: self.running_pid(name) for name in self.processes}

    def running_version(self) -> str | None:
        try:
            return (self.run / "version").read_text().strip() or None
        except OSError:
            return None

    # ----------------------------------------------------------------------------------- stopping

    def process_tree(self, leader: int, known: dict[int, int] | None = None) -> dict[int, int]:
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
        if leader in stats and self.is_ours(leader):
            roots.append(leader)
        roots += [pid for pid, st in stats.items() if leader in (st[2], st[3]) and self.is_ours(pid)]
        found: dict[int, int] = {}
        while roots:
            pid = roots.pop()
            if pid not in found and pid in stats:
                found[pid] = stats[pid][4]
                roots.extend(children.get(pid, []))
        return found

    def stop_process(self, name: str) -> bool:
        """Stop one recorded process and its whole tree. Returns whether anything was running."""
        leader = self.read_pid(name)
        if leader is None or leader <= 1:
            self.pid_file(name).unlink(missing_ok=True)
            return False
        procs = self.process_tree(leader)  # the whole tree is collected before anything is signalled
        if not procs:
            self.pid_file(name).unlink(missing_ok=True)
            return False
        self.say(f"stopping {name} (pid {leader}; {len(procs)} process(es): {_fmt(procs)})")
        stat = _stat(leader)
        if leader in procs and stat is not None and stat[2] == leader:  # it leads its own process group
            with suppress(ProcessLookupError):
                os.killpg(leader, signal.SIGTERM)
            # One SIGTERM each: a second one interrupts the scheduler's wait for its executor's workers.
            _signal_all({pid: start for pid, start in procs.items() if _pgid(pid) != leader}, signal.SIGTERM)
        else:
            _signal_all(procs, signal.SIGTERM)
        # On SIGTERM executors may still start task instances already queued before the scheduler exits:
        # keep looking for new descendants while waiting, and stop them too.
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            new = {pid: start for pid, start in self.process_tree(leader, procs).items() if pid not in procs}
            if new:
                self.say(f"{name}: also stopping {_fmt(new)}, started meanwhile")
                procs.update(new)
                _signal_all(new, signal.SIGTERM)
            if not any(alive(pid, start) for pid, start in procs.items()):
                break
            time.sleep(0.2)
        survivors = {pid: start for pid, start in procs.items() if alive(pid, start)}
        if survivors:
            self.say(f"{name}: SIGKILL to {_fmt(survivors)} after {STOP_TIMEOUT:.0f}s")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                procs.update(self.process_tree(leader, procs))
                if not any(alive(pid, start) for pid, start in procs.items()):
                    break
                _signal_all(procs, signal.SIGKILL)
                time.sleep(0.1)
        left = [pid for pid, start in procs.items() if alive(pid, start)]
        if left:
            raise Failure(f"{name}: could not stop {_fmt(left)}")
        self.pid_file(name).unlink(missing_ok=True)
        self.say(f"stopped {name}")
        return True

    def stop_all(self) -> list[str]:
        """Stop every process, the last started first. Returns the names of those that were running."""
        stopped = [name for name in reversed(self.processes) if self.stop_process(name)]
        (self.run / "version").unlink(missing_ok=True)
        return stopped

    # ------------------------------------------------------------------------------------- health

    def health(self) -> dict[str, Any] | None:
        """The JSON of the health endpoint when it answers 2xx, else None."""
        data = http_json(self.health_url)
        return data if isinstance(data, dict) else None

    def healthy(self, data: dict[str, Any] | None, since: datetime | None = None) -> bool:
        """Every component reported healthy (and, given `since`, by a heartbeat newer than that)."""
        for component in self.components:
            entry = data.get(component) if data else None
            if not isinstance(entry, dict) or entry.get("status") != "healthy":
                return False
            if since is not None and not _heartbeat_since(entry, f"latest_{component}_heartbeat", since):
                return False
        return True

    def wait_healthy(self, started: dict[str, subprocess.Popen[bytes]], since: datetime) -> None:
        last = "no answer yet"

        def check() -> bool:
            nonlocal last
            data = self.health()
            if data is None:
                return False
            last = json.dumps(data)
            return self.healthy(data, since)

        self.wait_for(check, started, lambda: f"not healthy (last health: {last})")
        self.say(f"healthy: {last}")

    def wait_for(
        self,
        check: Callable[[], bool],
        started: dict[str, subprocess.Popen[bytes]],
        failure: Callable[[], str],
    ) -> None:
        """Poll `check()` every second until true; fail when a started process exits or on timeout."""
        deadline = time.monotonic() + self.up_timeout
        while True:
            for name, proc in started.items():
                if proc.poll() is not None:
                    print_tail(self.logs / f"{name}.log")
                    raise Failure(f"{name} exited with code {proc.returncode} while starting")
            if check():
                return
            if time.monotonic() > deadline:
                for name in started:
                    print_tail(self.logs / f"{name}.log")
                raise Failure(f"{failure()} after {self.up_timeout:.0f}s")
            time.sleep(1)

    # ------------------------------------------------------------------------------------ install

    def run_logged(self, args: list[str], log: Path, what: str, env: dict[str, str] | None = None) -> None:
        """Run a command, its output appended to `log`; on failure show the log's tail and raise."""
        with log.open("a") as out:
            out.write(f"\n$ {' '.join(args)}\n")
            out.flush()
            result = subprocess.run(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.home(), check=False
            )
        if result.returncode != 0:
            print_tail(log)
            raise Failure(f"{what} failed (exit {result.returncode}); full output in {log}")

    def ensure_installed(self, log: Path) -> bool:
        """Create the venv with Airflow `version` unless its stamp says so. Returns whether it installed."""
        venv = self.venv_dir()
        stamp = venv / ".airflow-local-stamp"
        wanted = f"apache-airflow=={self.version}\n"
        try:
            if stamp.read_text() == wanted and (venv / "bin" / "airflow").exists():
                return False
        except OSError:
            pass
        if venv.exists():
            self.say(f"{venv}: no stamp for {self.version}; recreating it")
            shutil.rmtree(venv)
        venv.parent.mkdir(parents=True, exist_ok=True)
        self.run_logged([sys.executable, "-m", "venv", str(venv)], log, "creating the Airflow virtualenv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        constraints = REPO / "requirements" / f"airflow-{self.version}.txt"
        if constraints.exists():
            self.say(
                f"installing apache-airflow=={self.version} with constraints {constraints.relative_to(REPO)}"
            )
            pip += ["-c", str(constraints)]
        else:
            self.say(
                f"installing apache-airflow=={self.version} "
                f"(no {constraints.relative_to(REPO)}: unconstrained)"
            )
        self.run_logged([*pip, f"apache-airflow=={self.version}"], log, "pip install apache-airflow")
        stamp.write_text(wanted)
        return True

    # ------------------------------------------------------------------------------------ commands

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}.log"
        _rotate(log)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.home(),
                start_new_session=True,
            )
        self.pid_file(name).write_text(f"{proc.pid}\n")
        self.say(f"started {name} (pid {proc.pid}, log {log})")
        return proc

    def up(self) -> int:
        total_start = time.monotonic()
        running = self.running()
        if all(running.values()) and self.running_version() in (None, self.version):
            data = self.health()
            if data is not None and self.healthy(data):
                pids = ", ".join(f"{name} pid {pid}" for name, pid in running.items())
                self.say(f"already running at {self.base_url} ({pids})")
                return 0
        if any(running.values()):
            self.say("partly running, unhealthy or another version: restarting")
        self.warn_if_another_major_runs()
        self.stop_all()  # also clears stale pid files, or orphans of a dead leader
        for what, port in self.ports().items():
            if port_in_use(port):
                raise Failure(
                    f"port {HOST}:{port} ({what}) is already in use by a process this script did not start; "
                    f"stop it or choose another port with {self.prefix}_PORT",
                    code=2,
                )

        for directory in (self.local_dir, self.home(), self.run, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        setup_log = self.logs / "setup.log"
        _rotate(setup_log)
        timings: Timings = []

        with self.phase(f"install apache-airflow=={self.version} (if needed)", timings):
            if not self.ensure_installed(setup_log):
                self.say(f"{self.venv_dir()} already has apache-airflow=={self.version}")
        env = self.env()
        airflow = str(self.venv_dir() / "bin" / "airflow")
        self.prepare(airflow, env, setup_log, timings)

        started: dict[str, subprocess.Popen[bytes]] = {}
        since = datetime.now(UTC).replace(microsecond=0)
        try:
            with self.phase(f"start and wait for health at {self.health_url}", timings):
                for name, args in self.commands(airflow).items():
                    started[name] = self.start(name, args, env)
                (self.run / "version").write_text(f"{self.version}\n")
                self.wait_healthy(started, since)
            self.wait_ready(timings, started)
        except BaseException:
            self.say("start failed: stopping what was started")
            for name in reversed(self.processes):
                try:
                    self.stop_process(name)
                except Failure as exc:
                    self.say(str(exc))
            (self.run / "version").unlink(missing_ok=True)
            for proc in started.values():
                proc.poll()
            raise
        self.say(
            f"up at {self.base_url} (Airflow {self.version}, user {self.user}) in "
            f"{time.monotonic() - total_start:.1f}s: "
            + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings)
        )
        return 0

    def warn_if_another_major_runs(self) -> None:
        """Two local Airflows at once overload a small (2-core) machine: say so, but go on."""
        for major, other in MAJORS.items():
            if other is type(self):
                continue
            try:
                if any(other().running().values()):
                    self.say(f"warning: the local Airflow {major} is running too")
            except Failure:
                pass

    def down(self) -> int:
        stopped = self.stop_all()
        self.say(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
        return 0

    def status(self) -> int:
        running = self.running()
        for name in self.processes:
            pid = running[name]
            self.say(f"{name}: {'running (pid ' + str(pid) + ')' if pid else 'not running'}")
        if any(running.values()) and self.running_version():
            self.say(f"version: {self.running_version()}")
        data = self.health()
        self.say(f"{self.health_url}: {json.dumps(data) if data is not None else 'no answer'}")
        if all(running.values()) and self.healthy(data):
            self.say("healthy")
            return 0
        if not any(running.values()):
            return 3
        self.say("unhealthy")
        return 1


def _rotate(log: Path) -> None:
    if log.exists():
        log.replace(log.with_name(log.name + ".1"))


# ------------------------------------------------------------------------------------------- majors


class Airflow2(Local):
    """Airflow 2: webserver + scheduler, SequentialExecutor, FAB users with basic auth."""

    major = 2
    prefix = "AIRFLOW"
    default_dir = ".airflow"
    default_port = 28080
    version_files = (REPO / "spec" / "v1" / "AIRFLOW_VERSION", REPO / "spec" / "AIRFLOW_VERSION")
    dags_folder = REPO / "tests" / "integration" / "dags"
    processes = ("webserver", "scheduler")
    health_path = "/api/v1/health"
    components = ("scheduler",)

    def venv_dir(self) -> Path:
        return self.local_dir / "venv"

    def home(self) -> Path:
        return self.local_dir / "home"

    def config(self) -> dict[str, str]:
        home = self.home()
        logs = home / "logs"
        return {
            "CORE__EXECUTOR": "SequentialExecutor",
            "CORE__LOAD_EXAMPLES": "True",
            "CORE__DAGS_FOLDER": str(self.dags_folder),
            "CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "CORE__LOAD_DEFAULT_CONNECTIONS": "False",
            "CORE__FERNET_KEY": FERNET_KEY,
            "DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "WEBSERVER__EXPOSE_CONFIG": "True",
            "WEBSERVER__SECRET_KEY": SECRET_KEY,
            "WEBSERVER__WORKERS": "1",
            "WEBSERVER__WEB_SERVER_HOST": HOST,
            "WEBSERVER__WEB_SERVER_PORT": str(self.port),
            "WEBSERVER__BASE_URL": self.base_url,
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

    def commands(self, airflow: str) -> dict[str, list[str]]:
        webserver = [airflow, "webserver", "--hostname", HOST, "--port", str(self.port), "--workers", "1"]
        return {
            "webserver": [*webserver, "--pid", str(self.run / "gunicorn.pid")],
            "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
        }

    def create_user(self, airflow: str, env: dict[str, str], log: Path, timings: Timings) -> None:
        with self.phase(f"airflow users create {self.user} (if missing)", timings):
            user = self.user
            self.run_logged(
                [
                    *(airflow, "users", "create", "--username", user, "--password", self.password),
                    *("--role", "Admin", "--email", f"{user}@example.com"),
                    *("--firstname", "Airflow", "--lastname", "Admin"),
                ],
                log,
                "airflow users create",
                env,
            )

    def prepare(self, airflow: str, env: dict[str, str], log: Path, timings: Timings) -> None:
        super().prepare(airflow, env, log, timings)
        # Gunicorn refuses to start while its pid file names a live process (a stale file after a SIGKILL,
        # its pid since reused); nothing of ours runs now, so any such file is stale.
        (self.run / "gunicorn.pid").unlink(missing_ok=True)


class Airflow3(Local):
    """Airflow 3: api-server, scheduler (LocalExecutor), dag-processor, triggerer; SimpleAuthManager JWTs."""

    major = 3
    prefix = "AIRFLOW3"
    default_dir = ".airflow3"
    default_port = 28180
    version_files = (REPO / "spec" / "v2" / "AIRFLOW_VERSION",)
    dags_folder = REPO / "tests" / "integration_v2" / "dags"
    processes = ("api-server", "scheduler", "dag-processor", "triggerer")
    health_path = "/api/v2/monitor/health"
    components = ("scheduler", "dag_processor", "triggerer")
    # DAGs `up` waits to see through the API: one from each folder.
    ready_dags = ("airflow_rest_smoke", "example_bash_operator")

    def __init__(self) -> None:
        super().__init__()
        self.worker_log_port = int(self.setting("WORKER_LOG_PORT") or self.default_port + 1)
        self.trigger_log_port = int(self.setting("TRIGGER_LOG_PORT") or self.default_port + 2)

    def venv_dir(self) -> Path:
        return self.local_dir / self.version / "venv"

    def home(self) -> Path:
        # one database per version: a newer version's migrations cannot be undone by an older one
        return self.local_dir / self.version / "home"

    def passwords_file(self) -> Path:
        return self.home() / "simple_auth_manager_passwords.json"

    def config(self) -> dict[str, str]:
        home = self.home()
        logs = home / "logs"
        return {
            "CORE__EXECUTOR": "LocalExecutor",
            "CORE__PARALLELISM": "4",
            "CORE__LOAD_EXAMPLES": "True",
            "CORE__DAGS_FOLDER": str(self.dags_folder),
            "CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "CORE__FERNET_KEY": FERNET_KEY,
            "CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "CORE__SIMPLE_AUTH_MANAGER_USERS": f"{self.user}:admin",
            "CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file()),
            "CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "API__HOST": HOST,
            "API__PORT": str(self.port),
            "API__BASE_URL": self.base_url,
            "API__WORKERS": "1",
            "API__EXPOSE_CONFIG": "True",
            "API__SECRET_KEY": SECRET_KEY,
            "API_AUTH__JWT_SECRET": JWT_SECRET,
            # unset, 3.0.x signs tokens with an empty list as issuer, which newer PyJWT refuses
            "API_AUTH__JWT_ISSUER": "airflow-rest-local",
            "DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": HOST,
            "LOGGING__BASE_LOG_FOLDER": str(logs),
            "LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(logs / "dag_processor"),
            "LOGGING__WORKER_LOG_SERVER_PORT": str(self.worker_log_port),
            "LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.trigger_log_port),
        }

    def commands(self, airflow: str) -> dict[str, list[str]]:
        return {
            "api-server": [airflow, "api-server", "--host", HOST, "--port", str(self.port), "--workers", "1"],
            "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
            "dag-processor": [airflow, "dag-processor"],
            "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        }

    def create_user(self, airflow: str, env: dict[str, str], log: Path, timings: Timings) -> None:
        """The simple auth manager reads users from config and their passwords from this file."""
        self.passwords_file().write_text(json.dumps({self.user: self.password}) + "\n")

    def wait_ready(self, timings: Timings, started: dict[str, subprocess.Popen[bytes]]) -> None:
        """Wait until the API lists DAGs of both folders to a user with a token from ``POST /auth/token``."""
        found = "none yet"

        def check() -> bool:
            nonlocal found
            answer = http_json(
                f"{self.base_url}/auth/token", {"username": self.user, "password": self.password}
            )
            token = answer.get("access_token") if isinstance(answer, dict) else None
            if not isinstance(token, str):
                found = "no token from POST /auth/token"
                return False
            dags = http_json(f"{self.base_url}/api/v2/dags?limit=1", token=token)
            total = dags.get("total_entries") if isinstance(dags, dict) else None
            present = [
                d for d in self.ready_dags if http_json(f"{self.base_url}/api/v2/dags/{d}", token=token)
            ]
            found = f"{total} DAGs, of {', '.join(self.ready_dags)}: {', '.join(present) or 'none'}"
            return isinstance(total, int) and total > 0 and len(present) == len(self.ready_dags)

        with self.phase("wait for the DAGs in the API", timings):
            self.wait_for(check, started, lambda: f"DAGs not listed ({found})")
            self.say(f"listed: {found}")


MAJORS: dict[int, type[Local]] = {2: Airflow2, 3: Airflow3}


def main(argv: Iterable[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="airflow_local.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--major", type=int, choices=sorted(MAJORS), default=2)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 64 if exc.code else 0
    try:
        local = MAJORS[args.major]()
    except Failure as exc:
        print(f"airflow-local: error: {exc}", file=sys.stderr)
        return exc.code
    commands = {"up": local.up, "down": local.down, "status": local.status}
    try:
        return commands[args.command]()
    except Failure as exc:
        local.say(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        local.say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
