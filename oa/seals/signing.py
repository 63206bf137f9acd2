"""Signing a typeset PDF with the issuing organs' seals: one PAdES signature per seal, organ after organ.

The typesetter has already drawn each seal's image on its page; each signature here is a visible
signature field whose widget rectangle is that seal's box, with an empty appearance so the drawn
seal shows through. Each is added as an incremental update (PAdES baseline B: CMS with the signing
certificate and signing time bound to the exact bytes), so every earlier seal stays verifiable and
any later change to the file is detected. With a time-stamping service configured (OA_TSA_URL) each
signature also carries an RFC 3161 timestamp.

How a signature is made is behind `SealSigner`: the built-in `PyHankoSigner` signs with a key held
by the registry; a deployment that keeps its keys in an SM2 seal service (GB/T 38540) or an HSM
names its own implementation in OA_SEAL_SIGNER (docs/seals.md). Everything here is blocking CPU
work: callers run it in an executor.
"""

from __future__ import annotations

import importlib
import io
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from oa.errors import InvalidInput
from oa.seals.keys import PrivateKey
from oa.seals.pyhanko_imports import pyhanko_modules


@dataclass(frozen=True)
class SealPlacement:
    """Where one organ's seal is on the page: the typesetter says, the signature's widget follows."""

    unit_id: str
    page_index: int  # 0-based
    box_pt: tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF user space (points, origin bottom-left)


@dataclass(frozen=True)
class SealKey:
    """What signing as a unit takes. `private_key` is None when a seal service holds the key."""

    unit_id: str
    unit_name: str
    seal_id: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    private_key: PrivateKey | None = None


class SealSigner(Protocol):
    """Adds one signature to `pdf` as an incremental update and returns the whole new file."""

    def sign(self, pdf: bytes, placement: SealPlacement, key: SealKey, *, field_name: str, reason: str,
             location: str | None, timestamp_url: str | None) -> bytes: ...


class SealingError(InvalidInput):
    code = "sealing_failed"


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    return pyhanko_modules().asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class PyHankoSigner:
    """PAdES signatures (ISO 32000 /ETSI.CAdES.detached, SHA-256) with the registry's RSA or ECDSA keys."""

    def sign(self, pdf: bytes, placement: SealPlacement, key: SealKey, *, field_name: str, reason: str,
             location: str | None, timestamp_url: str | None) -> bytes:
        if key.private_key is None:
            raise SealingError(f"the seal of unit {key.unit_id} has no private key here (held by a seal service?)")
        der = key.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
        hanko = pyhanko_modules()
        fields, pyhanko_signers = hanko.fields, hanko.signers
        signer = pyhanko_signers.SimpleSigner(
            signing_cert=_asn1_certificate(key.certificate), signing_key=hanko.asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=hanko.SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in key.chain]))
        metadata = pyhanko_signers.PdfSignatureMetadata(
            field_name=field_name, reason=reason, location=location, name=key.unit_name, md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES)
        spec = fields.SigFieldSpec(field_name, on_page=placement.page_index, box=placement.box_pt,  # type: ignore[arg-type]
                                   readable_field_name=f"{key.unit_name}（电子印章）")
        writer = hanko.IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        # Made first with an empty appearance stream (a widget needs one, ISO 32000-2 12.5.5), then filled in
        # the same update: the signature itself draws nothing over the seal the typesetter drew.
        fields.append_signature_field(writer, spec)
        pdf_signer = pyhanko_signers.PdfSigner(
            metadata, signer, stamp_style=hanko.NoOpStampStyle(),
            timestamper=hanko.HTTPTimeStamper(timestamp_url) if timestamp_url else None)
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, existing_fields_only=True, output=out)
        return out.getvalue()


def _page_count(pdf: bytes) -> tuple[int, int]:
    """(pages, signatures already in the file)."""
    hanko = pyhanko_modules()
    try:
        reader = hanko.PdfFileReader(io.BytesIO(pdf), strict=False)
        return int(reader.root["/Pages"]["/Count"]), len(reader.embedded_signatures)
    except (hanko.PdfError, KeyError, ValueError, TypeError) as error:
        raise SealingError(f"the file to seal is not a readable PDF: {error}") from None


def sign_pdf(pdf: bytes, placements: list[SealPlacement], signers: dict[str, SealKey], *, reason: str,
             location: str | None = None, timestamp_url: str | None = None,
             backend: SealSigner | None = None) -> bytes:
    """`pdf` signed once per placement, in the order given (the host organ first), each as an
    incremental update. `signers` maps each placement's unit id to its key material."""
    if not placements:
        raise SealingError("nothing to seal: no seal placements")
    pages, existing = _page_count(pdf)
    for placement in placements:
        if placement.unit_id not in signers:
            raise SealingError(f"no seal key given for unit {placement.unit_id}", unit_id=placement.unit_id)
        if not 0 <= placement.page_index < pages:
            raise SealingError(f"page {placement.page_index} does not exist (the file has {pages} pages)")
        x0, y0, x1, y1 = placement.box_pt
        if not (x0 < x1 and y0 < y1):
            raise SealingError(f"the seal box {placement.box_pt} is empty or reversed (want x0 < x1, y0 < y1)")
    backend = backend or PyHankoSigner()
    for number, placement in enumerate(placements, start=existing + 1):
        pdf = backend.sign(pdf, placement, signers[placement.unit_id], field_name=f"seal{number}-{placement.unit_id}",
                           reason=reason, location=location, timestamp_url=timestamp_url)
    return pdf


def load_signer(spec: str | None) -> SealSigner:
    """The backend OA_SEAL_SIGNER names (`package.module:factory`, called with no arguments), else pyHanko."""
    if not spec or spec == "pyhanko":
        return PyHankoSigner()
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ValueError(f"OA_SEAL_SIGNER must look like package.module:factory (got {spec!r})")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory()  # type: ignore[no-any-return]
