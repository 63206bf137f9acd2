"""The embedded servers: data survives a restart, failures say what failed and where the log is."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest
from pymongo import MongoClient

from oa.seals.keys import load_or_create_secret
from storage.blobs import MinioBlobStore
from storage.local import (
    DataDirLock,
    EmbeddedMongo,
    EmbeddedS3,
    EmbeddedServerError,
    load_or_create_credentials,
    reap_leftover,
)
from storage.private_files import create_private_file
from web.config import Settings
from web.runtime import Runtime


async def test_restart_keeps_database_and_files(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path))
    endpoints = runtime.start()
    try:
        with MongoClient(endpoints.mongodb_uri) as client:
            client.oa.probe.insert_one({"_id": "kept", "value": "公文"})
        blobs = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key, "oa-files")
        await blobs.ensure_bucket()
        await blobs.put_bytes("kept.txt", "红头文件".encode())
    finally:
        runtime.stop()
    first_credentials = (endpoints.s3_access_key, endpoints.s3_secret_key)

    runtime = Runtime(Settings(data_dir=tmp_path))
    endpoints = runtime.start()
    try:
        assert (endpoints.s3_access_key, endpoints.s3_secret_key) == first_credentials
        with MongoClient(endpoints.mongodb_uri) as client:
            assert client.oa.probe.find_one({"_id": "kept"})["value"] == "公文"
        blobs = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key, "oa-files")
        assert (await blobs.get("kept.txt")).decode() == "红头文件"
    finally:
        runtime.stop()
    mode = stat.S_IMODE((tmp_path / "s3-credentials.json").stat().st_mode)
    assert mode == 0o600


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    failing = tmp_path / "failing-server"
    failing.write_text("#!/bin/sh\necho 'cannot open storage: disk full' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(EmbeddedServerError) as error:
        EmbeddedMongo(tmp_path, executable=str(failing)).start(timeout=10)
    message = str(error.value)
    assert "secantusd-py" in message and "exited with code 3" in message
    assert str(tmp_path / "logs" / "mongodb.log") in message
    assert "disk full" in message


def test_a_server_that_never_answers_times_out_with_its_log(tmp_path: Path) -> None:
    silent = tmp_path / "silent-server"
    silent.write_text("#!/bin/sh\nexec sleep 60\n")
    silent.chmod(0o755)
    server = EmbeddedS3(tmp_path, executable=str(silent))
    server._format_once = lambda juicefs: None  # type: ignore[method-assign]  # the fake binary cannot format
    with pytest.raises(EmbeddedServerError) as error:
        server.start(timeout=2)
    assert "did not answer within 2 s" in str(error.value)
    assert "s3-gateway" in str(error.value)
    assert server.child is not None and server.child.exited() is not None  # it was stopped, not left behind


def test_a_taken_port_is_reported(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # Something else answers on the port, but it is not our server: it must not be mistaken for it.
        with pytest.raises(EmbeddedServerError) as error:
            EmbeddedMongo(tmp_path, port=port).start(timeout=15)
    assert "mongodb.log" in str(error.value)


def test_one_data_directory_serves_one_process(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(EmbeddedServerError, match="in use by another"):
            DataDirLock(tmp_path).acquire()
    finally:
        first.release()
    DataDirLock(tmp_path).acquire()


def test_a_server_left_running_by_a_killed_service_is_stopped_before_the_next_start(tmp_path: Path) -> None:
    """A killed `oa serve` may leave its database server running (still checkpointing, or never told):
    it holds the storage's lock, so a second server on the same files could not start. The next
    start finds it by its pid file and stops it first."""
    left = EmbeddedMongo(tmp_path)
    left.start()
    assert left.child is not None and left.child.process is not None
    orphan = left.child.process  # its owner is gone as far as the next start knows: nobody stops it
    pid_file = tmp_path / "run" / "mongodb.pid"
    assert json.loads(pid_file.read_text())["pid"] == orphan.pid
    MongoClient(left.uri)["oa"]["kept"].insert_one({"_id": 1})
    again = EmbeddedMongo(tmp_path)
    try:
        again.start()
        assert orphan.poll() is not None  # stopped (and so let go of the files) before the new one started
        assert MongoClient(again.uri)["oa"]["kept"].find_one({"_id": 1}) == {"_id": 1}
        assert json.loads(pid_file.read_text())["pid"] == again.child.process.pid  # type: ignore[union-attr]
    finally:
        again.stop()
        left.stop()
    assert not pid_file.exists()
    # A pid file naming a process that is gone (or another process now holding that pid) is only removed.
    pid_file.write_text(json.dumps({"pid": os.getpid(), "started": 1}))
    assert reap_leftover(pid_file, "test") is None and not pid_file.exists()


def test_keys_left_empty_by_a_killed_first_start_are_made_anew(tmp_path: Path) -> None:
    """A first start killed between creating its S3 keys or seal secret and writing them left an empty file
    (older versions), and every later start failed on it. Such a file is replaced; a whole one is kept."""
    credentials, secret = tmp_path / "s3-credentials.json", tmp_path / "seal-secret"
    credentials.touch()
    secret.touch()
    made = load_or_create_credentials(credentials)
    assert load_or_create_credentials(credentials) == made
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    kept = load_or_create_secret(secret)
    assert len(kept) >= 32 and load_or_create_secret(secret) == kept
    assert sorted(path.name for path in tmp_path.iterdir()) == ["s3-credentials.json", "seal-secret"]
    with pytest.raises(FileExistsError):  # never overwritten: a second process reads the first one's
        create_private_file(secret, b"other")
