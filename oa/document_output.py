"""A stored document as a .docx or a phone preview: the rendering package fed off the event loop.

Rendering with python-docx is CPU work of tens of milliseconds; it runs in a worker thread so
one clerk's download never stalls everyone else's requests.
"""

from __future__ import annotations

import asyncio
from typing import Any

from oa.document_fields import EMPTY_CONTENT
from oa.rendering import render_docx, render_preview_html


def render_input(document: dict[str, Any]) -> dict[str, Any]:
    """The content dict the renderers take: every element present, nothing internal."""
    content = {**EMPTY_CONTENT, **document["content"]}
    content.pop("direction_set", None)
    return content


async def docx_bytes(document: dict[str, Any]) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(None, render_docx, render_input(document))


async def preview_html(document: dict[str, Any]) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, render_preview_html, render_input(document))


def docx_file_name(document: dict[str, Any]) -> str:
    content = document["content"]
    stem = content["doc_number"] or content["title"] or document["_id"]
    return f"{stem}.docx".replace("/", "_")
