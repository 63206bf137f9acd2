"""The tamper-evident audit over the real servers: every audited action lands in its unit's hash chain in the
same transaction; the verifier names the record edited or deleted, and a cut-off tail; anchors in the object
store (unlocked on the JuiceFS gateway, timestamped by a local RFC 3161 service) catch a chain shortened or
rewritten with consistent hashes, through the API and `oa audit verify`; SM3 and SHA-256 links mix in one
chain; 三员分立 keeps the 管理员 out of the audit and the 审计员 out of administration."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.sign.timestamps import DummyTimeStamper

from oa.audit_chain import chain_of, configure, verify_chains
from oa.audit_chain.anchors import Anchors
from oa.audit_chain.canonical import gmssl_sm3, hash_bytes
from oa.errors import InvalidInput
from oa.seals.authority import make_ca
from tests.exchange_org import build_exchange, dispatch, numbered, receipt_action
from tests.factories import PASSWORD
from tests.flow_org import Office
from web.services import Endpoints, Services

ROOT = Path(__file__).resolve().parent.parent


async def links_of(services: Services, unit: str) -> list[dict[str, Any]]:
    return await services.mongo["audit_chain"].find({"unit": unit}).sort("seq", 1).to_list(None)


def row_of(report: dict[str, Any], unit: str) -> dict[str, Any]:
    return next(row for row in report["units"] if row["unit"] == unit)


@pytest.fixture
async def office(services: Services, api: Any) -> Office:
    office = await build_exchange(services, api)
    user = await services.users.create({"username": "auditor", "display_name": "审计员", "password": PASSWORD,
                                        "posts": [{"unit": "county", "title": "安全审计员", "roles": ["审计员"]}]})
    office.ids["auditor"] = user["_id"]
    office.tokens["auditor"] = await api.login("auditor", PASSWORD)
    return office


async def test_each_action_is_chained_and_the_verifier_names_what_was_changed(office: Office) -> None:
    services, api, tokens = office.services, office.api, office.tokens

    # An approval adds one link to the flow's unit's chain, covering its audit line.
    document = await office.draft()
    started = await office.start(document["id"])
    before = len(await links_of(services, "county"))
    await office.act("office", (await office.only_task("office", started["id"]))["id"], opinion="同意")
    added = (await links_of(services, "county"))[before:]
    assert [link["kind"] for link in added] == ["flow"] and added[0]["covers"][0]["coll"] == "flow_audit"
    approved_id = added[0]["covers"][0]["id"]

    # A dispatch to four units adds one link for its chunk, not one per receipt; signing chains in the town.
    before = len(await links_of(services, "county"))
    sent = await dispatch(office, (await numbered(office))["id"], main=[{"subtree": "county", "level": "town"}],
                          copy=[{"subtree": "county", "type": "部门"}])
    delivery = [link for link in (await links_of(services, "county"))[before:] if link["kind"] == "delivery"]
    assert len(delivery) == 1 and len(delivery[0]["covers"][0]["ids"]) == sent["total"] == 4
    await receipt_action(office, f"{sent['id']}.town", "sign", "town-clerk")
    signed = (await links_of(services, "town"))[-1]
    assert signed["kind"] == "exchange" and signed["covers"][0]["coll"] == "exchange_audit"

    # A unit's change and a person's change are chained too (with the fields named, never a password).
    unit = await services.orgs.get("dept-fin")
    await services.orgs.update("dept-fin", {"short_name": "县财政"}, unit["version"], by=office.ids["admin"])
    assert (await links_of(services, "dept-fin"))[-1]["covers"][0]["coll"] == "unit_history"
    edu = await services.users.get(office.ids["edu"])
    await services.users.update(edu["_id"], {"password": "Another-pass-2"}, edu["version"], by=office.ids["admin"])
    person = (await services.mongo["audit_records"].find({"user_id": edu["_id"], "kind": "person"})
              .sort("at", -1).to_list(1))[0]
    assert person["fields"] == ["password"] and "Another" not in str(person)

    # 三员分立: the admin may not read the audit, the auditor may not administer, nobody may be both.
    assert (await api.get("/api/audit/verify", token=tokens["admin"])).status == 403
    assert (await api.get("/api/audit/records?unit=county", token=tokens["admin"])).status == 403
    renamed = await api.patch("/api/units/town", {"version": 1, "short_name": "甲一"}, token=tokens["auditor"])
    assert renamed.status == 403, renamed
    with pytest.raises(InvalidInput, match="三员分立"):
        await services.users.create({"username": "both", "display_name": "两者", "password": PASSWORD,
                                     "posts": [{"unit": "town", "title": "管理员", "roles": ["管理员", "审计员"]}]})

    verified = await api.get("/api/audit/verify", token=tokens["auditor"])
    assert verified.status == 200 and verified.body["ok"], verified.body["problems"]
    assert row_of(verified.body, "county")["unit_name"] == "甲县人民政府"
    recent = await api.get("/api/audit/records?unit=county&limit=50", token=tokens["auditor"])
    shown = {cover["id"]: cover["record"] for item in recent.body["items"] for cover in item["covers"] if "id" in cover}
    assert shown[approved_id]["opinion"] == "同意" and shown[approved_id]["by"]["name"] == "赵主任"

    # Someone with database access edits the approval's opinion, deletes the town's sign record, and cuts the
    # last link off the education bureau's chain (its people's logins).
    audit = services.mongo["flow_audit"]
    await audit.update_one({"_id": approved_id}, {"$set": {"opinion": "不同意"}})
    signed_record = signed["covers"][0]["id"]
    await services.mongo["exchange_audit"].delete_one({"_id": signed_record})
    edu_links = await links_of(services, "dept-edu")
    await services.mongo["audit_chain"].delete_one({"_id": edu_links[-1]["_id"]})

    report = (await api.get("/api/audit/verify", token=tokens["auditor"])).body
    assert not report["ok"]
    county = row_of(report, "county")["problem"]
    assert (county["problem"], county["coll"], county["id"]) == ("edited_record", "flow_audit", approved_id)
    assert county["seq"] == added[0]["seq"] and "被篡改" in county["message"]
    town = row_of(report, "town")["problem"]
    assert (town["problem"], town["coll"], town["id"], town["seq"]) == ("missing_record", "exchange_audit",
                                                                         str(signed_record), signed["seq"])
    edu_problem = row_of(report, "dept-edu")["problem"]
    assert edu_problem["problem"] == "tail_deleted" and edu_problem["seq"] == edu_links[-1]["seq"]
    assert row_of(report, "dept-fin")["ok"]
    one = (await api.get("/api/audit/verify?unit=town", token=tokens["auditor"])).body
    assert [row["unit"] for row in one["units"]] == ["town"] and not one["ok"]


# ---- anchors ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tsa_url() -> Iterator[str]:
    """A time-stamping service on a local port: pyHanko's DummyTimeStamper behind a real HTTP endpoint."""
    now = datetime.now(UTC)
    ca, ca_key = make_ca("测试时间戳 CA", now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "测试时间戳服务")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
    stamper = DummyTimeStamper(
        asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            answer = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()


async def test_anchors_catch_a_shortened_and_a_rewritten_chain(services: Services, endpoints: Endpoints,
                                                              tsa_url: str) -> None:
    mongo = services.mongo
    chain = chain_of(mongo)
    for n in range(3):
        for unit in ("u-short", "u-rewritten", "u-kept"):
            await chain.record_now(unit, "test", {"n": n})
    anchors = Anchors(mongo, services.anchors.store, tsa_url=tsa_url)
    written = await anchors.write()
    # The embedded JuiceFS gateway has no object lock: the anchor says so; the timestamp is there.
    assert written["locked"] is False and written["units"] == 3 and written["timestamped"]
    latest = await anchors.latest()
    assert latest is not None and latest["key"] == written["key"] and latest["digest"] == written["digest"]
    assert (await verify_chains(mongo, anchor=latest))["ok"]

    # Cut the last link and set the head back: the chain and its head agree, only the anchor knows.
    links = await links_of(services, "u-short")
    await mongo["audit_chain"].delete_one({"_id": links[-1]["_id"]})
    await mongo["audit_heads"].update_one({"_id": "u-short"}, {"$set": {"seq": 2, "hash": links[1]["hash"]}})
    # Rewrite a whole chain with other content and consistent hashes.
    await mongo["audit_chain"].delete_many({"unit": "u-rewritten"})
    await mongo["audit_heads"].delete_one({"_id": "u-rewritten"})
    for n in range(3):
        await chain.record_now("u-rewritten", "test", {"n": n, "forged": True})
    assert (await verify_chains(mongo))["ok"]  # without the anchor nothing shows
    report = await verify_chains(mongo, anchor=await anchors.latest())
    short, rewritten = row_of(report, "u-short")["problem"], row_of(report, "u-rewritten")["problem"]
    assert (short["problem"], short["seq"]) == ("shorter_than_anchor", 3)
    assert (rewritten["problem"], rewritten["seq"]) == ("anchor_mismatch", 3)
    assert row_of(report, "u-kept")["ok"] and report["anchor"]["key"] == written["key"]

    # The same through the command line, on the same database and store.
    env = {**os.environ, "OA_MONGODB_URI": endpoints.mongodb_uri, "OA_MONGODB_DB": services.settings.mongodb_db,
           "OA_S3_ENDPOINT": endpoints.s3_endpoint, "OA_S3_ACCESS_KEY": endpoints.s3_access_key,
           "OA_S3_SECRET_KEY": endpoints.s3_secret_key, "OA_S3_BUCKET": services.settings.s3_bucket,
           "OA_DATA_DIR": str(services.settings.data_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "web.cli", "audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "u-rewritten (u-rewritten): 3 links, 第3条与" in done.stdout and "链比锚定的短" in done.stdout
    assert f"anchor {written['key']}" in done.stdout


async def test_an_sm3_chain_verifies_and_mixes_with_sha256(services: Services) -> None:
    mongo = services.mongo
    configure(mongo, "sm3")
    first = await chain_of(mongo).record_now("u-sm3", "test", {"n": 1})
    await chain_of(mongo).record_now("u-sm3", "test", {"n": 2})
    configure(mongo, "sha256")
    await chain_of(mongo).record_now("u-sm3", "test", {"n": 3})
    links = await links_of(services, "u-sm3")
    assert [link["alg"] for link in links] == ["sm3", "sm3", "sha256"]
    # SM3 of "abc" is the standard's test vector; the links' own hashes are 256 bits either way.
    assert hash_bytes("sm3", b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert hash_bytes("sm3", b"x" * 1000) == gmssl_sm3(b"x" * 1000)  # OpenSSL's and the fallback agree
    assert all(len(link["hash"]) == 64 for link in links)
    assert (await verify_chains(mongo, "u-sm3"))["ok"]
    await mongo["audit_records"].update_one({"_id": first["_id"]}, {"$set": {"n": 9}})
    problem = (await verify_chains(mongo, "u-sm3"))["problems"][0]
    assert (problem["seq"], problem["coll"], problem["id"]) == (1, "audit_records", first["_id"])
