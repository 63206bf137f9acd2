"""The service's own certificate authority for seals: the demo and embedded default.

One CA per database (the record `demo-ca` of `seal_authority`, this module's collection), made the
first time a service starts on it and shared by every replica; its private key is sealed with the
server's seal secret like the units' keys (oa/seals/keys.py). It issues the units' signing
certificates: subject C=CN, O and CN the unit's name, OU 公章, serialNumber the unit id, and the
subjectAltName URI `urn:oa:unit:<id>`, so a verifier reads back which unit sealed. Its certificate is
public — GET /api/seals/ca.pem, and DATA_DIR/seal-ca.pem for `oa verify-pdf` — so readers can
install it and see the seals as trusted. A deployment with a real CA imports PKCS#12 files instead
and names that CA in OA_SEAL_TRUST_ROOTS.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from oa.seals.keys import UNIT_URN_PREFIX, KeyBox, PrivateKey, SealSecretMismatch, new_private_key, pem_of
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

CA_ID = "demo-ca"
CA_YEARS = 20
UNIT_CERT_YEARS = 5
# Issued a little in the past, so a verifier whose clock lags by minutes still sees it valid.
BACKDATE = timedelta(hours=1)
CA_PEM_FILE = "seal-ca.pem"
log = logging.getLogger("oa.seals")

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not sign, crl_sign=not sign,
                         encipher_only=False, decipher_only=False)


def make_ca(common_name: str, now: datetime, years: int = CA_YEARS) -> tuple[x509.Certificate, PrivateKey]:
    """A self-signed CA certificate and its key (also used by tests to make a CA nobody trusts)."""
    key = new_private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "公文流转电子印章（演示）"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def issue_unit_certificate(ca_certificate: x509.Certificate, ca_key: PrivateKey, unit_id: str, unit_name: str,
                           public_key: PublicKey, now: datetime) -> x509.Certificate:
    """A unit's seal certificate, valid UNIT_CERT_YEARS (never beyond the CA's own)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit_name),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "公章"),
                         x509.NameAttribute(NameOID.COMMON_NAME, unit_name),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, unit_id)])
    not_after = min(now + timedelta(days=365 * UNIT_CERT_YEARS), ca_certificate.not_valid_after_utc)
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_certificate.subject).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(UNIT_URN_PREFIX + unit_id)]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


class SealAuthority:
    """The demo CA of one database, loaded (or made) once at start."""

    COLLECTION = "seal_authority"

    def __init__(self, mongo: Mongo, box: KeyBox) -> None:
        self.records = mongo["seal_authority"]
        self.box = box
        self._certificate: x509.Certificate | None = None
        self._sealed_key: dict[str, object] | None = None
        self._key: PrivateKey | None = None

    async def load(self) -> None:
        """Read (or make) the CA. A replica whose seal secret differs still starts, says so in the log, and
        refuses only sealing (503 seal_secret_mismatch) until it is given the same OA_SEAL_SECRET."""
        record = await self.records.find_one({"_id": CA_ID})
        if record is None:
            now = datetime.now(UTC)
            certificate, key = make_ca(f"公文流转电子印章 CA {secrets.token_hex(4)}", now)
            try:
                await self.records.insert_one({"_id": CA_ID, "certificate_pem": pem_of(certificate),
                                               "key": self.box.seal(key, CA_ID), "created_at": now,
                                               "schema_version": SCHEMA_VERSION})
            except DuplicateKeyError:  # another replica made it first: use theirs
                pass
            record = await self.records.find_one({"_id": CA_ID})
        assert record is not None
        self._certificate = x509.load_pem_x509_certificate(record["certificate_pem"].encode())
        self._sealed_key = record["key"]
        try:
            self._key = self.box.open(self._sealed_key, CA_ID)
        except SealSecretMismatch:
            log.warning("this service's seal secret is not the one the seals were stored with: sealing will fail "
                        "until OA_SEAL_SECRET is the same on every replica")

    @property
    def certificate(self) -> x509.Certificate:
        if self._certificate is None:
            raise RuntimeError("the seal authority is not loaded yet")
        return self._certificate

    def pem(self) -> str:
        return pem_of(self.certificate)

    def issue(self, unit_id: str, unit_name: str, public_key: PublicKey) -> x509.Certificate:
        if self._key is None:
            assert self._sealed_key is not None, "the seal authority is not loaded yet"
            self._key = self.box.open(self._sealed_key, CA_ID)  # raises SealSecretMismatch, as at start
        return issue_unit_certificate(self.certificate, self._key, unit_id, unit_name, public_key, datetime.now(UTC))

    def write_pem(self, data_dir: Path) -> Path:
        """DATA_DIR/seal-ca.pem, where `oa verify-pdf` looks for its default trust root."""
        path = data_dir / CA_PEM_FILE
        data_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != self.pem():
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(self.pem())
            temporary.replace(path)
        return path
