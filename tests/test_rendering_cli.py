"""`oa check-docx`: the conformance checker from the command line, as a clerk or auditor would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from oa.rendering import render_docx
from tests.test_rendering import downward_notice
from web.cli import main


def test_check_docx_passes_a_rendered_document_and_fails_garbage(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "通知.docx"
    good.write_bytes(render_docx(downward_notice()))
    assert main(["check-docx", str(good)]) == 0
    assert "conformant" in capsys.readouterr().out
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a word file")
    assert main(["check-docx", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.docx: 1 deviations" in out and "unreadable" in out
