"""A seal's key material: its signing certificate, its private key, and how that key is kept at rest.

What protects a private key: it is stored in MongoDB encrypted with AES-256-GCM under a key derived
(HKDF-SHA256, a fresh random salt per stored key) from the server's seal secret — OA_SEAL_SECRET, or,
when that is unset, a random secret generated once into DATA_DIR/seal-secret (mode 0600). The record's
own id is bound in as associated data, so a ciphertext copied onto another record does not open. The
database and its backups alone sign nothing; whoever holds the secret too can sign as every unit, so
the secret lives outside the database and every replica is given the same one. PKCS#12 files are
opened here and never stored as uploaded; their password is not kept.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtensionOID, NameOID

from oa.errors import InvalidInput, Unavailable
from storage.private_files import create_private_file

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
UNIT_URN_PREFIX = "urn:oa:unit:"  # the unit id in a seal certificate's subjectAltName
SEALED_ALGORITHM = "A256GCM+HKDF-SHA256"
MIN_SECRET_BYTES = 16
MIN_RSA_BITS = 2048
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")


class SealKeyError(InvalidInput):
    """A PKCS#12 file or key the registry cannot use; the message says why."""

    code = "invalid_seal_key"


class SealSecretMismatch(Unavailable):
    """A stored key does not open with this server's seal secret (another OA_SEAL_SECRET sealed it):
    sealing is unavailable on this replica until it is given the same secret as the others."""

    code = "seal_secret_mismatch"


def load_or_create_secret(path: Path) -> bytes:
    """The data directory's seal secret, made on first use and readable by the owner only."""
    if path.exists():
        secret = path.read_bytes().strip()
        if secret:
            return secret
        # Left empty by a first start killed while writing it (older versions wrote in place): no key can have
        # been sealed with an empty secret (KeyBox refuses it), so a new one loses nothing.
        path.unlink(missing_ok=True)
    secret = secrets.token_urlsafe(48).encode()
    try:
        create_private_file(path, secret)
    except FileExistsError:  # another process of this data directory made it first
        return path.read_bytes().strip()
    return secret


class KeyBox:
    """Seals private keys with the server secret and opens them again."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the seal secret must be at least {MIN_SECRET_BYTES} bytes long")
        self._secret = secret

    def _key(self, salt: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"oa seal private key").derive(self._secret)

    def seal(self, key: PrivateKey, bound_to: str) -> dict[str, Any]:
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        salt, nonce = os.urandom(16), os.urandom(12)
        ciphertext = AESGCM(self._key(salt)).encrypt(nonce, der, bound_to.encode())
        return {"alg": SEALED_ALGORITHM, "salt": salt, "nonce": nonce, "ciphertext": ciphertext}

    def open(self, sealed: dict[str, Any], bound_to: str) -> PrivateKey:
        if sealed.get("alg") != SEALED_ALGORITHM:
            raise SealSecretMismatch(f"unknown key encryption {sealed.get('alg')!r}")
        try:
            der = AESGCM(self._key(bytes(sealed["salt"]))).decrypt(bytes(sealed["nonce"]), bytes(sealed["ciphertext"]),
                                                                   bound_to.encode())
        except InvalidTag:
            raise SealSecretMismatch("a seal's private key does not open with this server's seal secret: "
                                     "was it stored by a service with another OA_SEAL_SECRET?") from None
        key = serialization.load_der_private_key(der, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
        return key


def new_private_key() -> ec.EllipticCurvePrivateKey:
    """ECDSA P-256: accepted by PAdES readers (Adobe, Foxit, pyHanko) and generated in a millisecond."""
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class ImportedKey:
    key: PrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]


def check_signing_key(key: Any) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise SealKeyError(f"the RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are needed")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in EC_CURVES:
            raise SealKeyError(f"the elliptic curve {key.curve.name} is not supported in PDF signatures "
                            f"(use {', '.join(EC_CURVES)}; SM2 seals go through a seal service, see docs/seals.md)")
        return key
    raise SealKeyError("the key must be an RSA or ECDSA key")


def read_pkcs12(data: bytes, password: str, now: datetime | None = None) -> ImportedKey:
    """The key, certificate and chain of a .p12/.pfx file, checked to be usable for signing now."""
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError:
        raise SealKeyError("the PKCS#12 file cannot be opened: wrong password, or not a PKCS#12 (.p12/.pfx) file") \
            from None
    if key is None or certificate is None:
        raise SealKeyError("the PKCS#12 file must hold a private key and its certificate")
    key = check_signing_key(key)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != \
            certificate.public_key().public_bytes(serialization.Encoding.DER, public):
        raise SealKeyError("the certificate in the PKCS#12 file is not the private key's")
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise SealKeyError(f"the certificate is valid from {certificate.not_valid_before_utc:%Y-%m-%d} to "
                        f"{certificate.not_valid_after_utc:%Y-%m-%d}, not today")
    try:
        usage = certificate.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
        if not (usage.digital_signature or usage.content_commitment):
            raise SealKeyError("the certificate's key usage does not allow signing (digitalSignature/nonRepudiation)")
    except x509.ExtensionNotFound:
        pass
    return ImportedKey(key, certificate, list(chain))


def unit_id_of(certificate: x509.Certificate) -> str | None:
    """The unit a seal certificate names: a `urn:oa:unit:<id>` subjectAltName, else the subject's serialNumber."""
    try:
        names = certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        for uri in names.get_values_for_type(x509.UniformResourceIdentifier):
            if uri.startswith(UNIT_URN_PREFIX):
                return uri[len(UNIT_URN_PREFIX):]
    except x509.ExtensionNotFound:
        pass
    serials = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(serials[0].value) if serials else None


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def certificate_facts(certificate: x509.Certificate) -> dict[str, Any]:
    """What the registry keeps and shows of a certificate (never the key)."""
    subject = certificate.subject
    return {
        "pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "sha256": fingerprint(certificate),
        "subject": subject.rfc4514_string(),
        "common_name": _attribute(subject, NameOID.COMMON_NAME),
        "organization": _attribute(subject, NameOID.ORGANIZATION_NAME),
        "unit_id": unit_id_of(certificate),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": format(certificate.serial_number, "x"),
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc,
    }


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def pem_of(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def load_pem_certificates(data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise InvalidInput("not a PEM file of certificates (-----BEGIN CERTIFICATE-----)") from None
