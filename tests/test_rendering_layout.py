"""The checker on laid-out pages (LibreOffice headless, installed by .ci/run) and the broken-file corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oa.rendering import check_docx, render_docx
from oa.rendering.laid_out import available, lay_out
from tests.test_rendering import DOCUMENTS, downward_notice

CORPUS = Path(__file__).parent / "docx_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
ROOT = Path(__file__).parent.parent


def test_libreoffice_is_installed() -> None:
    assert available(), "LibreOffice (soffice) is needed by the layout checks: apt-get install libreoffice-writer-nogui"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_rendered_documents_lay_out_conformant(name: str) -> None:
    data = render_docx(DOCUMENTS[name]())
    layout = lay_out(data)
    assert layout.pages >= 1 and layout.fonts
    found = check_docx(data, layout)
    assert found == [], "\n".join(map(str, found))


def test_long_title_is_laid_out_on_the_lines_chosen() -> None:
    title = "关于进一步加强全市农村公路安全防护设施建设和养护管理工作的通知"
    layout = lay_out(render_docx(downward_notice() | {"title": title}))
    lines = [line.text for line in layout.on_page(1) if abs(line.size_pt - 22) < 0.6]
    assert lines == ["关于进一步加强全市农村公路安全", "防护设施建设和养护管理工作的通知"]


@pytest.mark.parametrize("name", EXPECTED)
def test_each_broken_file_is_reported_with_its_rule(name: str) -> None:
    data = (CORPUS / name).read_bytes()
    found = check_docx(data, lay_out(data))
    pairs = {(d.element, d.rule) for d in found}
    expected = {tuple(rule) for rule in EXPECTED[name]["rules"]}
    assert expected <= pairs, "\n".join(map(str, found))
    assert {rule for _, rule in pairs} <= {rule for _, rule in expected}, "\n".join(map(str, found))
    if not EXPECTED[name]["needs_layout"]:
        assert tuple(EXPECTED[name]["rules"][0]) in {(d.element, d.rule) for d in check_docx(data)}


def test_cli_reports_measured_deviations_and_the_fonts_used() -> None:
    path = CORPUS / "imprint_on_odd_page.docx"
    result = subprocess.run([sys.executable, "-m", "web.cli", "check-docx", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "测量所用字体" in result.stdout and "Noto" in result.stdout
    assert "[版记] 所在页（排版）" in result.stdout and "第 1 页 (共 1 页)" in result.stdout
    off = subprocess.run([sys.executable, "-m", "web.cli", "check-docx", "--layout", "off", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert off.returncode == 0 and "符合" in off.stdout
