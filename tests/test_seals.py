"""The seal registry over real HTTP and the real servers: who may register, replace and revoke a unit's seal,
what a bad upload is told, PKCS#12 import, lazy seals for units that never had one, the 用印 register and
the verification of a document's signed PDF."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from PIL import Image

from oa.errors import Conflict
from oa.seals.authority import issue_unit_certificate, make_ca
from oa.seals.image import draw_seal
from oa.seals.keys import SealSecretMismatch, new_private_key
from oa.seals.service import Seals
from oa.seals.signing import SealPlacement
from tests.blank_pages import blank_pdf
from tests.client import ApiClient
from tests.factories import PASSWORD, SmallOrg, small_org
from web.services import Services

BOX = (330.0, 120.0, 449.0, 239.0)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def tokens(api: ApiClient, *usernames: str) -> dict[str, str]:
    return {name: await api.login(name, PASSWORD) for name in usernames}


@pytest.fixture
async def org(services: Services) -> SmallOrg:
    return await small_org(services)


async def test_an_admin_of_the_unit_or_above_keeps_its_seal_and_others_may_not(
        services: Services, api: ApiClient, org: SmallOrg) -> None:
    who = await tokens(api, "aadmin", "badmin", "cityadmin", "clerk")
    # Another branch's admin, and a clerk of the unit itself, may not; the county's admin (an ancestor's) may.
    for name in ("badmin", "clerk"):
        refused = await api.post("/api/units/town-a1/seals", token=who[name])
        assert refused.status == 403 and refused.body["code"] == "forbidden", refused
        assert (await api.get("/api/units/town-a1/seals", token=who[name])).status == 403
    created = await api.post("/api/units/town-a1/seals", token=who["aadmin"])
    assert created.status == 201, created
    seal = created.body
    assert seal["status"] == "active" and seal["kind"] == "公章" and seal["name"] == "甲一镇人民政府"
    assert "private_key" not in seal and "active_slot" not in seal
    assert seal["certificate"]["unit_id"] == "town-a1" and seal["certificate"]["source"] == "generated"
    assert seal["certificate"]["organization"] == "甲一镇人民政府"
    assert seal["image"]["source"] == "generated" and seal["image"]["width"] == 496
    assert seal["created_by"]["name"] == "甲县管理员"
    again = await api.post("/api/units/town-a1/seals", token=who["cityadmin"])
    assert again.status == 409 and again.body["code"] == "seal_exists", again

    image = await api.get("/api/units/town-a1/seal/image", token=who["cityadmin"])
    assert image.status == 200 and image.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.body)).mode == "RGBA"

    # A new key from the CA, then an uploaded image: each audited, the old certificate still traced.
    first_certificate = seal["certificate"]["sha256"]
    rekeyed = await api.request("PUT", "/api/units/town-a1/seal/key", token=who["aadmin"])
    assert rekeyed.status == 200 and rekeyed.body["certificate"]["sha256"] != first_certificate, rekeyed
    assert (await services.seals.registry.by_certificate(first_certificate))["_id"] == seal["id"]
    drawn = draw_seal("甲一镇人民政府")
    replaced = await api.request("PUT", "/api/units/town-a1/seal/image", {"image_png_base64": b64(drawn.png)},
                                 token=who["aadmin"])
    assert replaced.status == 200 and replaced.body["image"]["source"] == "uploaded", replaced
    assert (await api.request("PUT", "/api/units/town-a1/seal/image", {"image_png_base64": b64(drawn.png)},
                              token=who["badmin"])).status == 403

    refused = await api.post("/api/units/town-a1/seal/revoke", {"reason": "机构改革"}, token=who["badmin"])
    assert refused.status == 403
    no_reason = await api.post("/api/units/town-a1/seal/revoke", {"reason": " "}, token=who["aadmin"])
    assert no_reason.status == 400 and no_reason.body["field"] == "reason"
    revoked = await api.post("/api/units/town-a1/seal/revoke", {"reason": "印章损坏，重新刻制"}, token=who["aadmin"])
    assert revoked.status == 200 and revoked.body["status"] == "revoked", revoked
    assert revoked.body["revoke_reason"] == "印章损坏，重新刻制" and revoked.body["revoked_by"]["user_id"]
    assert (await api.get("/api/units/town-a1/seal/image", token=who["aadmin"])).body["code"] == "no_seal"
    # A revoked seal is never replaced behind the admin's back, not even for a unit that may auto-issue.
    with pytest.raises(Conflict, match="was revoked"):
        await services.seals.signing_keys(["town-a1"])
    renewed = await api.post("/api/units/town-a1/seals", {"name": "甲一镇人民政府"}, token=who["cityadmin"])
    assert renewed.status == 201 and renewed.body["id"] != seal["id"]

    listed = await api.get("/api/units/town-a1/seals", token=who["aadmin"])
    assert listed.status == 200
    assert [item["status"] for item in listed.body["items"]] == ["active", "revoked"]
    changes = [(entry["seal_id"], entry["change"]) for entry in listed.body["history"]]
    assert changes == [(seal["id"], "created"), (seal["id"], "key_replaced"), (seal["id"], "image_replaced"),
                       (seal["id"], "revoked"), (renewed.body["id"], "created")]
    assert all("private_key" not in entry["snapshot"] for entry in listed.body["history"])


async def test_a_bad_upload_gets_a_json_400_that_says_why(api: ApiClient, org: SmallOrg) -> None:
    token = await api.login("aadmin", PASSWORD)
    opaque = io.BytesIO()
    Image.new("RGB", (496, 496), "red").save(opaque, "PNG")
    jpeg = io.BytesIO()
    Image.new("RGB", (496, 496), "red").save(jpeg, "JPEG")
    for body, code, words in [
        ({"image_png_base64": b64(opaque.getvalue())}, "invalid_seal_image", "no transparency"),
        ({"image_png_base64": b64(jpeg.getvalue())}, "invalid_seal_image", "must be a PNG"),
        ({"image_png_base64": "not base64!"}, "invalid_input", "must be base64"),
        ({"image_png_base64": 12}, "invalid_input", "image_png_base64"),
        ({"p12_base64": b64(b"not a p12"), "password": "x"}, "invalid_seal_key", "cannot be opened"),
    ]:
        response = await api.post("/api/units/county-a/seals", body, token=token)
        assert response.status == 400 and response.body["code"] == code and words in response.body["message"], \
            (body, response)
    # Nothing was registered by the refused calls.
    assert (await api.get("/api/units/county-a/seals", token=token)).body["items"] == []


async def test_a_pkcs12_from_a_real_ca_is_imported_and_signs(services: Services, api: ApiClient,
                                                              org: SmallOrg) -> None:
    ca, ca_key = make_ca("某省电子政务 CA（测试）", datetime.now(UTC))
    key = new_private_key()
    certificate = issue_unit_certificate(ca, ca_key, "county-b", "乙县人民政府", key.public_key(), datetime.now(UTC))
    p12 = pkcs12.serialize_key_and_certificates(b"county-b", key, certificate, [ca],
                                                serialization.BestAvailableEncryption(b"s3cret-p12"))
    token = await api.login("badmin", PASSWORD)
    wrong = await api.post("/api/units/county-b/seals", {"p12_base64": b64(p12), "password": "nope"}, token=token)
    assert wrong.status == 400 and "wrong password" in wrong.body["message"], wrong
    created = await api.post("/api/units/county-b/seals", {"p12_base64": b64(p12), "password": "s3cret-p12"},
                             token=token)
    assert created.status == 201, created
    assert created.body["certificate"]["source"] == "pkcs12"
    assert created.body["certificate"]["issuer"] == ca.subject.rfc4514_string()
    keys = await services.seals.signing_keys(["county-b"])
    assert keys["county-b"].certificate == certificate and keys["county-b"].chain == (ca,)
    signed = await services.seals.seal_pdf(blank_pdf(), [SealPlacement("county-b", 0, BOX)], reason="印发")
    report = await services.seals.verify_pdf(signed)
    assert not report.valid and not report.signatures[0].trusted  # the service trusts only its own CA...
    services.seals.extra_roots.append(ca)  # ...and the CAs named in OA_SEAL_TRUST_ROOTS
    assert (await services.seals.verify_pdf(signed)).valid


async def test_the_ca_certificate_is_public_and_in_the_data_directory(services: Services, api: ApiClient) -> None:
    response = await api.get("/api/seals/ca.pem")
    assert response.status == 200 and response.headers["Content-Type"] == "application/x-pem-file"
    pem = response.body.encode() if isinstance(response.body, str) else response.body
    certificate = x509.load_pem_x509_certificate(pem)
    assert certificate == services.seals.authority.certificate
    on_disk = Path(services.settings.data_dir) / "seal-ca.pem"
    assert x509.load_pem_x509_certificate(on_disk.read_bytes()) == certificate


async def draft(services: Services, org: SmallOrg) -> dict:
    return await services.documents.do_create("town-a1", {
        "doc_type": "通知", "title": "关于做好冬季森林防火工作的通知",
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, org.users["clerk"])


async def test_seals_are_made_when_first_used_recorded_and_verified_for_the_document(
        services: Services, api: ApiClient, org: SmallOrg) -> None:
    document = await draft(services, org)
    assert document["content"]["issuers"][0]["unit_id"] == "town-a1"
    # Neither unit has a seal yet: each gets one drawn and issued by the service's CA, once.
    image = await services.seals.image_png("town-a1")
    assert Image.open(io.BytesIO(image)).size == (496, 496)
    assert await services.seals.image_png("town-a1") == image
    placements = [SealPlacement("town-a1", 0, BOX), SealPlacement("county-b", 0, (110.0, 120.0, 229.0, 239.0))]
    signed = await services.seals.seal_pdf(blank_pdf(), placements, reason="印发", location="甲县")
    uses = await services.seals.record_use(document_id=document["_id"], document_version=document["version"],
                                           unit_ids=["town-a1", "county-b"], user_id=org.users["clerk"]["_id"],
                                           user_name="甲一镇科员", pdf=signed)
    again = await services.seals.record_use(document_id=document["_id"], document_version=document["version"],
                                            unit_ids=["town-a1", "county-b"], user_id=org.users["clerk"]["_id"],
                                            user_name="甲一镇科员", pdf=signed)
    assert len(uses) == 2 and {use["_id"] for use in again} == {use["_id"] for use in uses}  # recorded once
    # Sealed anew for the same version (a render run again after a crash): still one use per seal, naming the
    # new file, with the earlier file's hash kept and the seal's history saying it was used again.
    resealed = await services.seals.seal_pdf(blank_pdf(), placements, reason="印发", location="甲县")
    assert resealed != signed
    third = await services.seals.record_use(document_id=document["_id"], document_version=document["version"],
                                            unit_ids=["town-a1", "county-b"], user_id=org.users["clerk"]["_id"],
                                            user_name="甲一镇科员", pdf=resealed)
    assert {use["_id"] for use in third} == {use["_id"] for use in uses}
    assert {use["pdf_sha256"] for use in third} == {hashlib.sha256(resealed).hexdigest()}
    assert all(use["earlier_pdf_sha256"] == [hashlib.sha256(signed).hexdigest()] for use in third)
    history = await services.seals.registry.history_of("town-a1")
    assert sorted(entry["change"] for entry in history) == ["created", "used", "used_again"]
    history = [entry for entry in history if entry["change"] != "used_again"]
    assert history[0]["by"]["user_id"] == "system" and history[1]["detail"]["document_id"] == document["_id"]

    who = await tokens(api, "clerk", "badmin")
    listed = await api.get(f"/api/documents/{document['_id']}/seal-uses", token=who["clerk"])
    assert listed.status == 200 and listed.body["total"] == 2, listed
    use = listed.body["items"][0]
    assert use["by"] == {"user_id": org.users["clerk"]["_id"], "name": "甲一镇科员"}
    assert use["document_version"] == document["version"] and len(use["pdf_sha256"]) == 64
    # Someone who may not read the document learns nothing of it.
    assert (await api.get(f"/api/documents/{document['_id']}/seal-uses", token=who["badmin"])).status == 404
    assert (await api.get(f"/api/documents/{document['_id']}/verify", token=who["badmin"])).status == 404

    missing = await api.get(f"/api/documents/{document['_id']}/verify", token=who["clerk"])
    assert missing.status == 404 and missing.body["code"] == "no_signed_pdf", missing
    # Where the render step keeps the signed PDF (a blob named on the document).
    key = f"issued/{document['_id']}/test.pdf"
    await services.blobs.put_bytes(key, resealed, "application/pdf")
    await services.mongo["documents"].update_one({"_id": document["_id"]}, {"$set": {"issued_pdf": {"key": key}}})
    verified = await api.get(f"/api/documents/{document['_id']}/verify", token=who["clerk"])
    assert verified.status == 200, verified
    result = verified.body
    assert result["pdf_valid"] and result["in_seal_register"] and not result["valid"]  # county-b is no issuer
    by_unit = {item["unit_id"]: item for item in result["signatures"]}
    assert by_unit["town-a1"]["valid"] and by_unit["town-a1"]["belongs_to_issuer"]
    assert by_unit["town-a1"]["unit_name"] == "甲一镇人民政府" and by_unit["town-a1"]["seal"]["status"] == "active"
    assert by_unit["county-b"]["valid"] and not by_unit["county-b"]["belongs_to_issuer"]
    assert "not one of the document's issuing units" in " ".join(by_unit["county-b"]["problems"])
    assert result["issuers"] == [{"unit_id": "town-a1", "name": "甲一镇人民政府", "sealed": True}]

    # Changed after sealing: the endpoint says so.
    await services.blobs.put_bytes(key, signed + b"\n% edited\n", "application/pdf")
    tampered = (await api.get(f"/api/documents/{document['_id']}/verify", token=who["clerk"])).body
    assert not tampered["pdf_valid"] and not tampered["in_seal_register"]
    assert "changed after the last seal" in tampered["problems"][0]


async def test_without_auto_issue_a_unit_must_have_a_registered_seal(services: Services, org: SmallOrg) -> None:
    services.seals.registry.auto_issue = False
    with pytest.raises(Conflict, match="has no 公章") as refused:
        await services.seals.signing_keys(["county-a"])
    assert refused.value.code == "seal_missing"
    assert await services.seals.registry.active("county-a") is None


async def test_a_replica_with_another_secret_starts_but_cannot_seal(services: Services, org: SmallOrg,
                                                                    tmp_path: Path) -> None:
    await services.seals.registry.ensure("county-a")
    other = await Seals.open(services.mongo, services.blobs, services.orgs, secret=b"not-the-secret-of-the-others",
                             data_dir=tmp_path / "other")
    assert other.authority.certificate == services.seals.authority.certificate  # one CA for the database
    for unit_id in ("county-a", "county-b"):  # an existing seal's key, and a new one from the CA
        with pytest.raises(SealSecretMismatch) as refused:
            await other.signing_keys([unit_id])
        assert refused.value.status == 503 and refused.value.code == "seal_secret_mismatch"


async def test_units_sealing_at_the_same_moment_get_one_seal(services: Services, org: SmallOrg) -> None:
    made = await asyncio.gather(*(services.seals.registry.ensure("county-a") for _ in range(4)))
    assert len({seal["_id"] for seal in made}) == 1
    assert len(await services.seals.registry.of_unit("county-a")) == 1
    assert [entry["change"] for entry in await services.seals.registry.history_of("county-a")] == ["created"]
