"""公文 rendering: GB/T 9704-2012 .docx, its conformance checker and a phone-sized HTML preview.

Pure and synchronous (callers run it in an executor); python-docx stays inside docx_render and checker.
"""

from oa.rendering.checker import Deviation, check_docx
from oa.rendering.docx_render import render_docx
from oa.rendering.preview import render_preview_html

__all__ = ["Deviation", "check_docx", "render_docx", "render_preview_html"]
