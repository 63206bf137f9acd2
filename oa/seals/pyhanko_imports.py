"""pyHanko, imported the first time a seal is applied or checked, not when the service starts.

pyHanko and what it pulls in (asn1crypto, its certificate validator, an HTTP client for time-stamping)
take about 40 MB of memory and half a second to import. Most processes of a deployment never seal or
verify (a replica serving pushes, a command-line tool), so the signing and verifying modules reach them
through `pyhanko_modules()`, which imports them once, on first use, and hands them back by name.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace


@cache
def pyhanko_modules() -> SimpleNamespace:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko.stamp import NoOpStampStyle
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return SimpleNamespace(
        asn1_keys=asn1_keys, asn1_x509=asn1_x509, IncrementalPdfFileWriter=IncrementalPdfFileWriter,
        PdfError=PdfError, PdfFileReader=PdfFileReader, fields=fields, signers=signers,
        ModificationLevel=ModificationLevel, HTTPTimeStamper=HTTPTimeStamper,
        SignatureCoverageLevel=SignatureCoverageLevel, validate_pdf_signature=validate_pdf_signature,
        NoOpStampStyle=NoOpStampStyle, ValidationContext=ValidationContext,
        SimpleCertificateStore=SimpleCertificateStore)
