"""Electronic seals (电子印章): each unit's seal image, key and certificate; signing typeset PDFs with them;
the 用印 register; verifying a signed PDF. docs/seals.md says which standards are followed and how a
deployment plugs in an SM2 seal service.

What the rest of the service uses:
- `Seals` (service.py, built in web/services.py): `image_png(unit_id)`, `signing_keys(unit_ids)`,
  `seal_pdf(pdf, placements, reason=...)`, `record_use(...)`, `uses_of(document_id)`,
  `verify_document_pdf(document, pdf_bytes)`, and `registry` for the admin's changes.
- `sign_pdf`, `SealPlacement`, `SealKey`, `SealSigner` (signing.py): the synchronous signer.
- `verify_pdf`, `summary` (verify.py); `SEAL_DIAMETER_MM`, `SEAL_DPI`, `draw_seal` (image.py).
"""

from oa.seals.image import SEAL_DIAMETER_MM, SEAL_DPI, draw_seal
from oa.seals.service import Seals
from oa.seals.signing import SealKey, SealPlacement, SealSigner, sign_pdf
from oa.seals.verify import PdfVerification, summary, verify_pdf

__all__ = ["SEAL_DIAMETER_MM", "SEAL_DPI", "PdfVerification", "SealKey", "SealPlacement", "SealSigner", "Seals",
           "draw_seal", "sign_pdf", "summary", "verify_pdf"]
