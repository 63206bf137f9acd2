"""The viewer's mark in a downloaded .docx: Word's own kind of watermark (a VML text path in every page
header, behind the text, in light grey, diagonal), so it shows on screen and in print in Word and WPS."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import quoteattr

from docx import Document
from docx.oxml import parse_xml

NAMESPACES = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
              'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"')


def _mark_paragraph(text: str, number: int) -> str:
    return (
        f'<w:p {NAMESPACES}><w:pPr><w:spacing w:before="0" w:after="0"/></w:pPr><w:r><w:pict>'
        f'<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
        f'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
        f'<v:textpath on="t" fitshape="t"/><o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
        f'<v:shape id="OAViewerMark{number}" o:spid="_x0000_s{2049 + number}" type="#_x0000_t136" '
        f'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:60pt;rotation:330;'
        f'z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
        f'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
        f'fillcolor="#a0a0a0" stroked="f"><v:fill opacity=".35"/>'
        f'<v:textpath style="font-family:&quot;SimSun&quot;;font-size:1pt" string={quoteattr(text)}/>'
        f'</v:shape></w:pict></w:r></w:p>')


def mark_docx(docx: bytes, text: str) -> bytes:
    """The .docx with `text` as a diagonal watermark on every page (first, odd and even page headers)."""
    document = Document(BytesIO(docx))
    number = 0
    for section in document.sections:
        for header in (section.header, section.even_page_header, section.first_page_header):
            header.is_linked_to_previous = False
            header._element.append(parse_xml(_mark_paragraph(text, number)))
            number += 1
    out = BytesIO()
    document.save(out)
    return out.getvalue()
