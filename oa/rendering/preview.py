"""A self-contained HTML preview of a 公文 for phone screens, laid out like the printed page.

Same derived texts as the .docx (content.prepare), so heading numbers, dates and 附注 match the
printed version. No external fonts or scripts: the CSS lists the usual system names of each
typeface, falling back to serif/sans-serif. Every piece of content is escaped (it is user input).
"""

from __future__ import annotations

from html import escape
from typing import Any

from oa.rendering.content import AttachmentPage, Prepared, prepare
from oa.rendering.signatures import signature_rows

FANGSONG = '"FangSong", "仿宋_GB2312", "仿宋", "STFangsong", "FangSong_GB2312", serif'
KAITI = '"KaiTi", "楷体_GB2312", "楷体", "STKaiti", "KaiTi_GB2312", serif'
HEITI = '"SimHei", "黑体", "Heiti SC", "STHeiti", "Noto Sans CJK SC", sans-serif'
XIAOBIAOSONG = '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "STZhongsong", "华文中宋", "SimSun", "Songti SC", serif'
LEVEL_CLASSES = {0: "text", 1: "l1", 2: "l2", 3: "l3", 4: "l4"}

CSS = f"""
*{{box-sizing:border-box}}
html{{-webkit-text-size-adjust:100%;text-size-adjust:100%}}
body{{margin:0;background:#eee;color:#000;font-family:{FANGSONG};font-size:17px;line-height:1.75}}
.page{{max-width:42em;margin:0 auto;background:#fff;padding:1.25em 1em 2em;min-height:100vh}}
p{{margin:0;overflow-wrap:anywhere;word-break:break-word}}
.top{{font-family:{HEITI}}} .copy{{font-family:{FANGSONG}}}
.mark{{color:#f00;font-family:{XIAOBIAOSONG};text-align:center;font-size:clamp(1.5rem,8vw,2.6rem);
  line-height:1.25;margin:1.2em 0 0;letter-spacing:.05em}}
.joint{{display:flex;justify-content:center;align-items:center;gap:.3em;font-size:clamp(1.2rem,6vw,2.4rem)}}
.joint .names{{display:flex;flex-direction:column;text-align-last:justify;text-align:justify}}
.number{{text-align:center;margin-top:1.2em}}
.upward{{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1em;margin-top:1.2em;padding:0 1em}}
.signers{{display:grid;grid-template-columns:auto auto;column-gap:.2em;align-items:start;margin-left:auto}}
.signers .label{{grid-column:1}} .signers .names{{grid-column:2;font-family:{KAITI}}}
.rule{{border:0;border-top:2px solid #f00;margin:.6em 0 0}}
.letter-rule{{border:0;border-top:3px solid #f00;height:2px;border-bottom:1px solid #f00;margin:.4em -.5em 0}}
.letter-numbers{{display:flex;justify-content:space-between;gap:1em;margin-top:.4em}}
h1{{font-family:{XIAOBIAOSONG};font-weight:normal;font-size:1.45em;line-height:1.45;text-align:center;
  margin:1.6em 0 1em;overflow-wrap:anywhere;text-wrap:balance}}
.body p,.note{{text-indent:2em;text-align:justify}}
h1 span{{display:block}}
.note{{text-align:left}}
.body .l1{{font-family:{HEITI}}} .body .l2{{font-family:{KAITI}}}
.att-rest{{padding-left:5em}}
.att-first{{padding-left:5em;text-indent:-3em}}
.atts{{margin-top:1.75em}}
.sign{{margin-top:2.5em;text-align:right;padding-right:2em}}
.sign div{{display:inline-block;text-align:center}}
.sign-row{{display:flex;justify-content:center;gap:2em;margin:0}} .sign-row+.sign-row{{margin-top:3em}}
.note{{margin-top:1.75em}}
.imprint{{margin-top:3em;font-size:.875em;border-top:2px solid #000;border-bottom:2px solid #000}}
.imprint p{{padding:.3em .5em}}
.imprint p+p{{border-top:1px solid #000}}
.printed{{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1em}}
.names{{padding-left:5em;text-indent:-3em;text-align:justify}} .names .label{{font-family:{HEITI}}}
.name-lists{{margin-top:1.75em}}
.stamp{{margin:0 0 1.75em}}
.number+.body,.number+.main-to{{margin-top:2.4em}}
.attachment{{margin-top:2.5em;padding-top:1.25em;border-top:1px dashed #999}}
.attachment .label{{font-family:{HEITI}}}
.attachment h2{{font-family:{XIAOBIAOSONG};font-weight:normal;font-size:1.3em;line-height:1.45;text-align:center;
  margin:1em 0 .8em;overflow-wrap:anywhere}}
.attachment h2 span{{display:block}}
"""


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{escape(text)}</p>"


def _letter_head(doc: Prepared) -> list[str]:
    """信函格式: the organ's name over a red double line (thick over thin); 份号 left and 发文字号 right under it."""
    numbers = f'<span class="copy">{escape(doc.copy_number)}</span><span>{escape(doc.doc_number)}</span>'
    out = [_p(doc.letter_organ, "mark"), '<hr class="letter-rule">', f'<p class="letter-numbers">{numbers}</p>']
    if doc.urgency:
        out.append(_p(doc.urgency, "top"))
    return out


def _head(doc: Prepared) -> list[str]:
    if doc.letter:
        return _letter_head(doc)
    if doc.order:  # the mark "…令" and the 令号 under it; no separator (GB/T 9704 10.2)
        return [*(_p(text, cls) for text, cls in ((doc.copy_number, "copy"), (doc.urgency, "top")) if text),
                *(_p(mark, "mark") for mark in doc.marks), _p(doc.order_number, "number")]
    out = []
    if doc.copy_number:
        out.append(_p(doc.copy_number, "copy"))
    if doc.urgency:
        out.append(_p(doc.urgency, "top"))
    if doc.mark_suffix:
        names = "".join(f"<span>{escape(m)}</span>" for m in doc.marks)
        suffix = escape(doc.mark_suffix)
        out.append(f'<div class="mark joint"><div class="names">{names}</div><div>{suffix}</div></div>')
    else:
        out.extend(_p(mark, "mark") for mark in doc.marks)
    if doc.upward:
        rows = "".join(
            f'<span class="label">{"签发人：" if i == 0 else ""}</span>'
            f'<span class="names">{escape("　".join(row))}</span>'
            for i, row in enumerate(doc.signer_rows))
        out.append(f'<div class="upward"><span class="number-text">{escape(doc.doc_number)}</span>'
                   f'<div class="signers">{rows}</div></div>')
    elif doc.minutes and doc.minutes_number:
        out.append(_p(doc.minutes_number, "number"))  # a 纪要's 期号 where the 发文字号 would be
    elif doc.doc_number:
        out.append(_p(doc.doc_number, "number"))
    out.append('<hr class="rule">')
    return out


def _tail(doc: Prepared) -> list[str]:
    out = []
    if doc.attachments:
        items = [_p(line, "att-first" if i == 0 else "att-rest") for i, line in enumerate(doc.attachments)]
        out.append(f'<div class="atts">{"".join(items)}</div>')
    if doc.name_lists:  # 纪要: 出席, 请假, 列席, a wrapped line under the first name
        lists = "".join(f'<p class="names"><span class="label">{escape(names.label)}</span>{escape(names.names)}</p>'
                        for names in doc.name_lists)
        out.append(f'<div class="name-lists">{lists}</div>')
    if doc.stamp_line:  # the 签发人's post and name where the 签名章 is pressed, the date a line under it
        out.append(f'<div class="sign"><div>{_p(doc.stamp_line, "stamp")}{_p(doc.date) if doc.date else ""}'
                   '</div></div>')
    elif doc.signatures or doc.date:
        # As on paper (GB/T 9704 7.3.5.1): joint organs side by side, the last 署名 centred over the date.
        rows = "".join('<p class="sign-row">' + "".join(f"<span>{escape(name)}</span>" for name in row.names)
                       + "</p>" for row in signature_rows(doc.signatures, doc.date))
        date = _p(doc.date) if doc.date else ""
        out.append(f'<div class="sign"><div>{rows}{date}</div></div>')
    if doc.note:
        out.append(_p(doc.note, "note"))
    out.extend(_attachment_page(page) for page in doc.attachment_pages)
    if doc.has_imprint:
        rows = [_p(doc.copy_to)] if doc.copy_to else []
        if doc.printer:
            rows.append(f'<p class="printed"><span>{escape(doc.printer)}</span><span>{escape(doc.printed)}</span></p>')
        out.append(f'<footer class="imprint">{"".join(rows)}</footer>')
    return out


def _attachment_page(page: AttachmentPage) -> str:
    """An attachment printed in full, set off as the new page it starts on paper."""
    title = "".join(f"<span>{escape(line)}</span>" for line in page.title_lines)
    body = "".join(_p(line.full_text, LEVEL_CLASSES[line.level]) for line in page.body)
    return (f'<section class="attachment">{_p(page.label, "label")}<h2>{title}</h2>'
            f'<div class="body">{body}</div></section>')


def render_preview_html(content: dict[str, Any]) -> str:
    """A full HTML page previewing the document, readable from 360 px wide without horizontal scrolling."""
    doc = prepare(content)
    parts = _head(doc)
    # One block per line, so each line balances on its own when a phone wraps it again.
    if doc.shows_title:
        parts.append(f"<h1>{''.join(f'<span>{escape(line)}</span>' for line in doc.title_lines)}</h1>")
    if doc.main_to:
        parts.append(_p(doc.main_to, "main-to"))
    body = "".join(_p(line.full_text, LEVEL_CLASSES[line.level]) for line in doc.body)
    parts.append(f'<section class="body">{body}</section>')
    parts.extend(_tail(doc))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body>\n<article class="page">\n{"".join(parts)}\n</article>\n</body>\n</html>\n'
    )
