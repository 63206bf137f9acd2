"""Seal images, key material, signing a PDF with two organs' seals and verifying it, and `oa verify-pdf`.

No servers: these are the pure functions the flow and the registry build on. Keys are ECDSA P-256 (one
RSA 2048 key, for the PKCS#12 path), made once for the module.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper

from oa.errors import InvalidInput
from oa.seals.authority import issue_unit_certificate, make_ca
from oa.seals.image import SEAL_DPI, SealImageError, check_seal_png, draw_seal
from oa.seals.keys import KeyBox, SealKeyError, SealSecretMismatch, new_private_key, read_pkcs12, unit_id_of
from oa.seals.signing import SealingError, SealKey, SealPlacement, sign_pdf
from oa.seals.verify import summary, verify_pdf
from tests.blank_pages import blank_pdf
from web.cli import main

CITY_BOX = (330.0, 120.5, 449.0, 239.5)  # 42 mm ≈ 119 pt
DEPT_BOX = (110.0, 120.5, 229.0, 239.5)


@dataclass
class Keys:
    ca: x509.Certificate
    city: SealKey
    dept: SealKey
    pdf: bytes  # a blank A4 page, as pypdfium2 writes it


def unit_key(ca: x509.Certificate, ca_key: object, unit_id: str, name: str) -> SealKey:
    key = new_private_key()
    certificate = issue_unit_certificate(ca, ca_key, unit_id, name, key.public_key(), datetime.now(UTC))  # type: ignore[arg-type]
    return SealKey(unit_id, name, f"seal-{unit_id}", certificate, (ca,), key)


@pytest.fixture(scope="module")
def keys() -> Keys:
    ca, ca_key = make_ca("测试印章 CA", datetime.now(UTC))
    return Keys(ca, unit_key(ca, ca_key, "sg-szf", "韶关市人民政府"), unit_key(ca, ca_key, "sg-jiaoyu", "韶关市教育局"),
                blank_pdf(2))


@pytest.fixture(scope="module")
def sealed(keys: Keys) -> bytes:
    placements = [SealPlacement("sg-szf", 1, CITY_BOX), SealPlacement("sg-jiaoyu", 1, DEPT_BOX)]
    return sign_pdf(keys.pdf, placements, {"sg-szf": keys.city, "sg-jiaoyu": keys.dept}, reason="印发", location="韶关")


# ---- seal images --------------------------------------------------------------------------------

def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_drawn_seal_is_a_42mm_red_round_seal_on_transparency() -> None:
    seal = draw_seal("韶关市浈江区人民政府办公室")
    image = Image.open(io.BytesIO(seal.png))
    assert image.mode == "RGBA" and (seal.width, seal.height) == (496, 496)  # 42 mm at 300 dpi
    assert round(image.info["dpi"][0]) == SEAL_DPI
    assert image.getpixel((5, 5))[3] == 0 and image.getpixel((248, 248))[3] == 255  # corner clear, star inked
    assert image.getpixel((248, 2))[3] > 0  # the ring reaches the top edge
    assert check_seal_png(seal.png).sha256 == seal.sha256


@pytest.mark.parametrize(("image", "says"), [
    (Image.new("RGB", (496, 496), "red"), "no transparency"),
    (Image.new("RGBA", (496, 496), (230, 0, 18, 255)), "mostly opaque"),
    (Image.new("RGBA", (50, 50), (0, 0, 0, 0)), "each side must be"),
    (Image.new("RGBA", (496, 300), (0, 0, 0, 0)), "as wide as it is high"),
    (Image.new("RGBA", (496, 496), (0, 0, 0, 0)), "entirely transparent"),
])
def test_an_uploaded_image_that_is_no_seal_is_refused(image: Image.Image, says: str) -> None:
    with pytest.raises(SealImageError, match=says):
        check_seal_png(png_of(image))


def test_a_blue_seal_or_a_jpeg_is_refused() -> None:
    seal = Image.open(io.BytesIO(draw_seal("测试局").png)).convert("RGBA")
    blue = Image.merge("RGBA", (*Image.new("RGB", seal.size, (0, 0, 255)).split(), seal.getchannel("A")))
    with pytest.raises(SealImageError, match="red"):
        check_seal_png(png_of(blue))
    jpeg = io.BytesIO()
    Image.new("RGB", (496, 496), "red").save(jpeg, "JPEG")
    with pytest.raises(SealImageError, match="must be a PNG"):
        check_seal_png(jpeg.getvalue())
    with pytest.raises(SealImageError, match="not a readable PNG"):
        check_seal_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


# ---- keys ---------------------------------------------------------------------------------------

def test_a_sealed_key_opens_only_with_the_same_secret_and_record(keys: Keys) -> None:
    box = KeyBox(b"a-server-secret-of-enough-length")
    sealed = box.seal(keys.city.private_key, "seal-1")  # type: ignore[arg-type]
    assert b"PRIVATE" not in sealed["ciphertext"]
    opened = box.open(sealed, "seal-1")
    assert opened.private_numbers() == keys.city.private_key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(SealSecretMismatch):
        KeyBox(b"another-server-secret-entirely").open(sealed, "seal-1")
    with pytest.raises(SealSecretMismatch):
        box.open(sealed, "seal-2")  # copied onto another record


def test_a_unit_certificate_names_the_unit(keys: Keys) -> None:
    certificate = keys.city.certificate
    assert unit_id_of(certificate) == "sg-szf"
    assert "O=韶关市人民政府" in certificate.subject.rfc4514_string()
    assert certificate.issuer == keys.ca.subject


def test_pkcs12_round_trip_with_an_rsa_key_signs_and_verifies(tmp_path: Path) -> None:
    ca, ca_key = make_ca("某省电子认证中心（测试）", datetime.now(UTC))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = issue_unit_certificate(ca, ca_key, "gd-sheng", "广东省某厅", key.public_key(), datetime.now(UTC))
    p12 = pkcs12.serialize_key_and_certificates(b"unit", key, certificate, [ca],
                                                serialization.BestAvailableEncryption(b"p12-pass"))
    imported = read_pkcs12(p12, "p12-pass")
    assert imported.certificate == certificate and imported.chain == [ca]
    assert imported.key.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(SealKeyError, match="wrong password"):
        read_pkcs12(p12, "wrong")
    with pytest.raises(SealKeyError, match="cannot be opened"):
        read_pkcs12(b"not a p12", "")
    signed = sign_pdf(blank_pdf(), [SealPlacement("gd-sheng", 0, CITY_BOX)],
                      {"gd-sheng": SealKey("gd-sheng", "广东省某厅", "seal-x", imported.certificate,
                                           tuple(imported.chain), imported.key)}, reason="印发")
    report = verify_pdf(signed, [ca])
    assert report.valid, summary("rsa.pdf", report)
    assert report.signatures[0].unit_id == "gd-sheng"


# ---- signing and verifying ----------------------------------------------------------------------

def test_two_organs_seal_in_turn_and_both_verify(keys: Keys, sealed: bytes) -> None:
    report = verify_pdf(sealed, [keys.ca])
    assert report.valid, summary("sealed.pdf", report)
    assert [(check.unit_id, check.unit_name) for check in report.signatures] == [
        ("sg-szf", "韶关市人民政府"), ("sg-jiaoyu", "韶关市教育局")]
    for check in report.signatures:
        assert check.intact and check.covers and check.trusted and not check.problems
        assert check.signing_time is not None and abs((datetime.now(UTC) - check.signing_time).total_seconds()) < 120
    json_view = report.as_json()
    assert json_view["valid"] and json_view["signatures"][0]["signing_time"].endswith("Z")


def test_each_signature_is_a_widget_over_the_seal_box_with_an_empty_appearance(sealed: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(sealed), strict=False)
    assert reader.xrefs.total_revisions == 3  # the typeset file, then one update per organ
    page = reader.root["/Pages"]["/Kids"][1].get_object()
    widgets = {str(annot.get_object()["/T"]): annot.get_object() for annot in page["/Annots"]}
    assert set(widgets) == {"seal1-sg-szf", "seal2-sg-jiaoyu"}
    for name, box in (("seal1-sg-szf", CITY_BOX), ("seal2-sg-jiaoyu", DEPT_BOX)):
        assert [float(value) for value in widgets[name]["/Rect"]] == pytest.approx(list(box))
        appearance = widgets[name]["/AP"]["/N"].get_object()
        assert appearance.data.strip() == b""  # the seal drawn on the page shows through


def test_a_changed_byte_inside_the_signed_range_breaks_every_seal(keys: Keys, sealed: bytes) -> None:
    flipped = bytearray(sealed)
    flipped[sealed.index(b"%", 5) + 2] ^= 0x01  # the binary marker comment on line 2, signed by both
    report = verify_pdf(bytes(flipped), [keys.ca])
    assert not report.valid
    assert all(not check.intact and "the signed bytes were changed" in check.problems for check in report.signatures)


@pytest.mark.parametrize("extra", [b"garbage", b"\n% appended\n", b" " * 16])
def test_bytes_appended_after_the_last_seal_are_reported(keys: Keys, sealed: bytes, extra: bytes) -> None:
    report = verify_pdf(sealed + extra, [keys.ca])
    assert not report.valid
    assert any("changed after the last seal" in problem for problem in report.problems)
    assert all(check.intact and not check.covers for check in report.signatures)


def test_an_incremental_change_after_sealing_is_reported_as_modified(keys: Keys, sealed: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed), strict=False)
    page = writer.root["/Pages"]["/Kids"][1].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 72 Td (forged) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), [keys.ca])
    assert not report.valid
    assert all(check.intact and not check.covers and "the document was modified after this seal" in check.problems
               for check in report.signatures)


def test_a_certificate_from_another_ca_is_not_trusted(sealed: bytes) -> None:
    stranger, _ = make_ca("测试印章 CA", datetime.now(UTC))  # the same name, another key
    report = verify_pdf(sealed, [stranger])
    assert not report.valid
    assert all(check.intact and check.covers and not check.trusted for check in report.signatures)
    assert "does not chain to a trusted CA" in summary("x.pdf", report)


def test_unsigned_and_unreadable_files_are_not_valid(keys: Keys) -> None:
    assert verify_pdf(keys.pdf, [keys.ca]).problems == ["the file has no seal signature"]
    assert verify_pdf(b"not a pdf", [keys.ca]).problems[0].startswith("not a readable PDF")


def test_sign_pdf_refuses_what_it_cannot_place(keys: Keys) -> None:
    signers = {"sg-szf": keys.city}
    with pytest.raises(SealingError, match="no seal key given for unit sg-x"):
        sign_pdf(keys.pdf, [SealPlacement("sg-x", 0, CITY_BOX)], signers, reason="印发")
    with pytest.raises(SealingError, match="page 2 does not exist"):
        sign_pdf(keys.pdf, [SealPlacement("sg-szf", 2, CITY_BOX)], signers, reason="印发")
    with pytest.raises(SealingError, match="empty or reversed"):
        sign_pdf(keys.pdf, [SealPlacement("sg-szf", 0, (300, 300, 200, 400))], signers, reason="印发")
    with pytest.raises(InvalidInput, match="not a readable PDF"):
        sign_pdf(b"%PDF-1.7 broken", [SealPlacement("sg-szf", 0, CITY_BOX)], signers, reason="印发")


# ---- RFC 3161 timestamps ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tsa_url(keys: Keys) -> Iterator[str]:
    """A time-stamping service on a local port: pyHanko's test TSA behind a real HTTP endpoint."""
    now = datetime.now(UTC)
    ca, ca_key = make_ca("测试时间戳 CA", now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA signs with RSA
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
                                                        serialization.NoEncryption())),
        certs_to_embed=[asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))])
    keys.tsa_ca = ca  # type: ignore[attr-defined]

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()


def test_with_a_time_stamping_service_each_seal_carries_a_trusted_timestamp(keys: Keys, tsa_url: str) -> None:
    signed = sign_pdf(keys.pdf, [SealPlacement("sg-szf", 0, CITY_BOX)], {"sg-szf": keys.city}, reason="印发",
                      timestamp_url=tsa_url)
    report = verify_pdf(signed, [keys.ca, keys.tsa_ca])  # type: ignore[attr-defined]
    assert report.valid, summary("stamped.pdf", report)
    stamped = report.signatures[0].timestamp
    assert stamped is not None and abs((datetime.now(UTC) - stamped).total_seconds()) < 120
    assert "timestamped" in summary("stamped.pdf", report)
    # Without trusting the time-stamping CA the seal itself is still valid; the time is just not vouched for.
    assert verify_pdf(signed, [keys.ca]).signatures[0].timestamp is None


# ---- oa verify-pdf --------------------------------------------------------------------------------

def test_verify_pdf_command_exit_codes(keys: Keys, sealed: bytes, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(keys.ca.public_bytes(serialization.Encoding.PEM))
    good, bad = tmp_path / "韶府〔2026〕1号.pdf", tmp_path / "bad.pdf"
    good.write_bytes(sealed)
    bad.write_bytes(sealed + b"garbage")
    assert main(["verify-pdf", str(good), "--ca", str(ca), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "有效 VALID" in out and "韶关市人民政府 [unit sg-szf]" in out and "韶关市教育局 [unit sg-jiaoyu]" in out
    assert main(["verify-pdf", str(good), str(bad), "--ca", str(ca), "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.pdf: 无效 BROKEN — the file was changed after the last seal" in out
    # Without --ca: the data directory's CA (as `oa serve` writes it); none there is a usage error.
    assert main(["verify-pdf", str(good), "--data-dir", str(tmp_path / "empty")]) == 2
    assert "no trust root" in capsys.readouterr().err
    (tmp_path / "seal-ca.pem").write_bytes(ca.read_bytes())
    assert main(["verify-pdf", str(good), "--data-dir", str(tmp_path)]) == 0
