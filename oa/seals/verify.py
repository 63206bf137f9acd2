"""Verifying a sealed PDF: is every seal's signature intact, does it cover the file, does it chain to a trusted CA?

For each signature the report gives the signer (the certificate's name), the unit id and name the
certificate carries, the signing time (and the trusted timestamp, if any), and three verdicts:
`intact` — the bytes it signed are unchanged and the signature is mathematically valid; `covers` —
nothing was changed after it except the later organs' own seals (a content change, or any byte
appended after the last seal, makes this false for every seal); `trusted` — its certificate chains to
one of the trust roots given. The file is valid only when it has a seal and every seal passes all
three. Verification is offline (no OCSP/CRL fetching) and blocking: callers run it in an executor.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from oa.clock import CHINA, iso
from oa.seals.keys import fingerprint, load_pem_certificates, unit_id_of
from oa.seals.pyhanko_imports import pyhanko_modules

# What a later revision may do to an earlier seal's revision: add the next organ's seal (a new
# signature field), nothing else (pyHanko's ModificationLevel.FORM_FILLING).
ALLOWED_AFTER = "FORM_FILLING"


@dataclass
class SignatureCheck:
    field: str
    signer: str | None = None  # the certificate's common name
    unit_id: str | None = None
    unit_name: str | None = None  # the certificate's organisation (O)
    certificate_sha256: str | None = None
    signing_time: datetime | None = None  # as the signer stated it (signed attribute)
    timestamp: datetime | None = None  # from a trusted RFC 3161 timestamp, if there is one
    intact: bool = False
    covers: bool = False
    trusted: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.intact and self.covers and self.trusted

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["signing_time"], data["timestamp"] = iso(self.signing_time), iso(self.timestamp)
        data["valid"] = self.valid
        return data


@dataclass
class PdfVerification:
    signatures: list[SignatureCheck]
    problems: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def valid(self) -> bool:
        return bool(self.signatures) and not self.problems and all(check.valid for check in self.signatures)

    def as_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "problems": self.problems,
                "signatures": [check.as_json() for check in self.signatures]}


def _to_cryptography(certificate: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def _asn1(certificate: x509.Certificate) -> Any:
    return pyhanko_modules().asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _name(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    found = certificate.subject.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def verify_pdf(pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> PdfVerification:
    """Check every seal signature of `pdf` against `trust_roots` (the demo CA, a deployment's CAs)."""
    try:
        hanko = pyhanko_modules()
        reader = hanko.PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
        revisions = reader.xrefs.total_revisions
    except Exception as error:  # a damaged file fails in many ways inside the parser; all mean "unreadable"
        return PdfVerification([], [f"not a readable PDF: {error}"])
    if not embedded:
        return PdfVerification([], ["the file has no seal signature"])
    signed_revisions = {signature.signed_revision for signature in embedded}
    context = hanko.ValidationContext(trust_roots=[_asn1(root) for root in trust_roots], allow_fetching=False)
    checks, problems = [], []
    statuses: list[Any] = []
    for signature in embedded:
        check = SignatureCheck(field=str(signature.field_name))
        checks.append(check)
        try:
            status = hanko.validate_pdf_signature(signature, context)
        except Exception as error:  # a signature too damaged to evaluate is a broken one
            check.problems.append(f"the signature cannot be evaluated: {error}")
            statuses.append(None)
            continue
        statuses.append(status)
        certificate = _to_cryptography(status.signing_cert)
        check.signer = _name(certificate, NameOID.COMMON_NAME)
        check.unit_name = _name(certificate, NameOID.ORGANIZATION_NAME) or check.signer
        check.unit_id = unit_id_of(certificate)
        check.certificate_sha256 = fingerprint(certificate)
        check.signing_time = status.signer_reported_dt
        timestamp = status.timestamp_validity
        if timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted:
            check.timestamp = timestamp.timestamp
        check.intact = bool(status.intact and status.valid)
        check.trusted = bool(status.trusted)
        if not status.intact:
            check.problems.append("the signed bytes were changed")
        elif not status.valid:
            check.problems.append("the signature does not match the signed bytes and certificate")
        elif not status.trusted:  # (a broken signature's chain is not looked at)
            check.problems.append("the certificate does not chain to a trusted CA")

    last = max(embedded, key=lambda signature: signature.signed_revision)
    last_status = statuses[embedded.index(last)]
    whole_file = last.signed_revision == revisions - 1 and last_status is not None \
        and last_status.coverage == hanko.SignatureCoverageLevel.ENTIRE_FILE
    if not whole_file:
        problems.append("the file was changed after the last seal (an update or bytes appended)")
    for signature, check, status in zip(embedded, checks, statuses, strict=True):
        if status is None:
            continue
        later = range(signature.signed_revision + 1, revisions)
        if status.coverage == hanko.SignatureCoverageLevel.ENTIRE_FILE:
            check.covers = True
        elif status.coverage == hanko.SignatureCoverageLevel.ENTIRE_REVISION:
            only_seals = all(revision in signed_revisions for revision in later)
            level = status.modification_level
            allowed = hanko.ModificationLevel[ALLOWED_AFTER]
            check.covers = whole_file and only_seals and level is not None and level <= allowed \
                and status.docmdp_ok is not False
        if not check.covers:
            check.problems.append("the document was modified after this seal")
    return PdfVerification(checks, problems)


def load_trust_roots(paths: Sequence[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        roots += load_pem_certificates(path.read_bytes())
    return roots


def _moment(value: datetime | None) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S (UTC+8)") if value else "unknown time"


def summary(name: str, report: PdfVerification) -> str:
    """The human report `oa verify-pdf` prints: the verdict, then one line per seal."""
    count = len(report.signatures)
    if report.valid:
        head = f"{name}: 有效 VALID — {count} seal(s), each intact, covering the file, chained to a trusted CA"
    else:
        head = f"{name}: 无效 BROKEN — " + ("; ".join(report.problems) if report.problems else
                                           "a seal does not verify")
    lines = [head]
    for number, check in enumerate(report.signatures, start=1):
        who = f"{check.unit_name or check.signer or '(unknown signer)'}"
        if check.unit_id:
            who += f" [unit {check.unit_id}]"
        when = f"signed {_moment(check.signing_time)}"
        if check.timestamp:
            when += f", timestamped {_moment(check.timestamp)}"
        verdict = "valid" if check.valid else "BROKEN: " + "; ".join(check.problems)
        lines.append(f"  {number}. {who}, {when}: {verdict}")
    return "\n".join(lines)
