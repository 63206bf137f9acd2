"""The migration step: `oa migrate` makes collections and indexes; a replica on a configured MongoDB only
checks them and will not start on a database that lacks them (it says to run `oa migrate`)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from storage.indexes import COUNTERS, SchemaNotReady, apply_indexes, schema_problems
from storage.mongo import Mongo
from tests.conftest import make_settings
from web.services import Endpoints, Services

ROOT = Path(__file__).resolve().parent.parent


async def test_a_replica_on_a_configured_database_checks_and_migrate_fixes(endpoints: Endpoints,
                                                                            tmp_path: Path) -> None:
    db = "t_" + uuid.uuid4().hex[:12]
    configured = make_settings(tmp_path, db, mongodb_uri=endpoints.mongodb_uri)
    assert not configured.embedded_mongodb
    mongo = await Mongo.connect(endpoints.mongodb_uri, db)
    try:
        with pytest.raises(SchemaNotReady, match="oa migrate"):
            await Services.open(configured, endpoints)  # an empty database: nothing was made
        assert not set(COUNTERS) & set(await mongo.db.list_collection_names())  # and the replica made nothing

        await apply_indexes(mongo)
        assert await schema_problems(mongo) == []
        assert set(COUNTERS) <= set(await mongo.db.list_collection_names())
        opened = await Services.open(configured, endpoints)
        await opened.close()

        await mongo["flow_instances"].drop_index("one_running_flow")  # an index of this version missing
        problems = await schema_problems(mongo)
        assert len(problems) == 1 and "flow_instances" in problems[0]
        with pytest.raises(SchemaNotReady, match="flow_instances"):
            await Services.open(configured, endpoints)
    finally:
        await mongo.client.drop_database(db)
        await mongo.close()


def test_oa_migrate_on_the_command_line(endpoints: Endpoints, tmp_path: Path) -> None:
    db = "t_" + uuid.uuid4().hex[:12]
    env = {**os.environ, "OA_MONGODB_URI": endpoints.mongodb_uri, "OA_MONGODB_DB": db,
           "OA_S3_ENDPOINT": endpoints.s3_endpoint, "OA_S3_ACCESS_KEY": endpoints.s3_access_key,
           "OA_S3_SECRET_KEY": endpoints.s3_secret_key, "OA_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "web.cli", "migrate"], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"database {db} is ready" in done.stdout
