"""Bulk import: every bad row reported with its line, nothing written unless everything is valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oa import importer
from oa.errors import ImportRejected
from oa.import_parse import read_files
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services

UNITS_CSV = """\ufeffid,name,short_name,type,level,parent,code,flags,vertical_parent,sort
qy-szf,清远市人民政府,市政府,政府,city,,清府,,,1
qy-szfb,清远市人民政府办公室,市府办,部门,city,qy-szf,清府办,,,2
qy-lz,连州市人民政府,连州,政府,county,qy-szf,连府,,,3
qy-ln,连南瑶族自治县人民政府,连南,政府,county,qy-szf,南府,autonomous_county,,4
qy-ln-sjk,三江镇人民政府,三江镇,乡镇,town,qy-ln,,,,1
qy-ln-xsw,连南县消防救援大队,,部门,county,qy-ln,,vertical,qy-szf,2
"""

PEOPLE_CSV = """username,display_name,mobile,password,unit,title,roles,primary
qy.li,李明,13800000001,Initial-pass-1,qy-szfb,办公室主任,办公室主任;收发员,yes
qy.li,李明,13800000001,Initial-pass-1,qy-ln,挂职副县长,分管领导,no
qy.wang,王芳,,,qy-ln-sjk,镇长,主要领导,yes
"""


async def test_csv_import_of_units_and_people(services: Services) -> None:
    plan = await importer.validate(services.mongo, read_files(("units.csv", UNITS_CSV), ("people.csv", PEOPLE_CSV)))
    assert plan.summary() == {"units": 6, "people": 2, "posts": 3}
    await importer.apply(services.mongo, plan, directory=services.directory)
    town = await services.orgs.get("qy-ln-sjk")
    assert town["ancestors"] == ["qy-szf", "qy-ln"] and town["level"] == "town"
    assert (await services.orgs.get("qy-ln"))["flags"] == ["autonomous_county"]
    assert (await services.orgs.get("qy-ln-xsw"))["vertical_parent_id"] == "qy-szf"
    li = await services.users.find_by_username("qy.li")
    assert [post["unit_id"] for post in li["posts"]] == ["qy-szfb", "qy-ln"]
    assert [post["primary"] for post in li["posts"]] == [True, False]
    assert (await services.sessions.login("qy.li", "Initial-pass-1", "test")).user["_id"] == li["_id"]


async def test_people_csv_may_carry_office_phones(services: Services) -> None:
    """`office_phone` is an optional column: files without it stay valid (above), a bad number names its line."""
    people = ("username,display_name,mobile,password,unit,title,roles,primary,office_phone\n"
              "qy.li,李明,13800000001,,qy-szfb,办公室主任,办公室主任,yes,0763-3362001-8\n"
              "qy.wang,王芳,,,qy-ln-sjk,镇长,主要领导,yes,call me\n")
    with pytest.raises(ImportRejected) as refused:
        await importer.validate(services.mongo, read_files(("units.csv", UNITS_CSV), ("people.csv", people)))
    by_line = {(error["file"], str(error["line"])): error["reason"] for error in refused.value.details["errors"]}
    assert list(by_line) == [("people.csv", "[3]")], by_line
    assert "office_phone must be a landline" in by_line[("people.csv", "[3]")]
    plan = await importer.validate(services.mongo, read_files(("units.csv", UNITS_CSV),
                                                              ("people.csv", people.replace("call me", ""))))
    await importer.apply(services.mongo, plan, directory=services.directory)
    assert (await services.users.find_by_username("qy.li"))["office_phone"] == "0763-3362001-8"
    assert (await services.users.find_by_username("qy.wang"))["office_phone"] is None


async def test_every_bad_row_is_reported_and_nothing_is_imported(services: Services) -> None:
    bad_units = UNITS_CSV + "\n".join([
        "qy-szf,重复的编号,,政府,city,,,,,",                  # line 8: duplicate id
        "qy-x,坏类型,,公司,county,qy-szf,,,,",                  # line 9: unknown type
        "qy-y,挂错级别,,政府,county,qy-ln-sjk,,,,",             # line 10: county under a town
        "qy-z,没有上级,,部门,town,qy-nowhere,,,,",              # line 11: unknown parent
        "qy-w,坏标志,,乡镇,town,qy-lz,,tax-free,,",             # line 12: unknown flag
        "qy-v,坏排序,,乡镇,town,qy-lz,,,,abc",                  # line 13: sort not an integer
    ]) + "\n"
    bad_people = PEOPLE_CSV + "\n".join([
        "Bad Name,坏用户名,,,qy-lz,科员,科员,yes",               # line 5
        "qy.zhao,赵,12345,,qy-lz,科员,科员,yes",                 # line 6: bad mobile
        "qy.sun,孙,,short,qy-lz,科员,厅长,maybe",                # line 7: bad primary
        "qy.qian,钱,,,qy-gone,科员,科员,yes",                    # line 8: unknown unit
    ]) + "\n"
    with pytest.raises(ImportRejected) as rejected:
        await importer.validate(services.mongo, read_files(("units.csv", bad_units), ("people.csv", bad_people)))
    errors = rejected.value.details["errors"]
    by_line = {(error["file"], str(error["line"])): error["reason"] for error in errors}
    assert "also used at line 2" in by_line[("units.csv", "8")]
    assert "type must be one of" in by_line[("units.csv", "9")]
    assert "cannot sit under" in by_line[("units.csv", "10")]
    assert "neither in the file nor stored" in by_line[("units.csv", "11")]
    assert "flags must be" in by_line[("units.csv", "12")]
    assert "sort must be an integer" in by_line[("units.csv", "13")]
    assert "username must be" in by_line[("people.csv", "[5]")]
    assert "mobile must be" in by_line[("people.csv", "[6]")]
    assert "primary must be yes or no" in by_line[("people.csv", "7")]
    assert "qy-gone" in by_line[("people.csv", "[8]")]
    assert await services.mongo["units"].count_documents({}) == 0
    assert await services.mongo["users"].count_documents({}) == 0


async def test_cycles_and_bad_json_are_reported(services: Services) -> None:
    cyclic = '{"units": [{"id": "a1", "name": "甲", "type": "政府", "level": "city", "parent": "b1"},' \
             ' {"id": "b1", "name": "乙", "type": "政府", "level": "city", "parent": "a1"}]}'
    with pytest.raises(ImportRejected) as rejected:
        await importer.validate(services.mongo, read_files(("org.json", cyclic)))
    assert any("cycle" in error["reason"] for error in rejected.value.details["errors"])
    with pytest.raises(ImportRejected) as broken:
        await importer.validate(services.mongo, read_files(("org.json", '{"units": [\n  {"id": "x",}\n]}')))
    assert broken.value.details["errors"][0]["line"] == 2


async def test_api_import_with_dry_run_and_permissions(services: Services, api: ApiClient) -> None:
    await small_org(services)
    payload = {"units": [{"id": "town-a9", "name": "甲九镇人民政府", "type": "乡镇", "level": "town",
                          "parent": "county-a"}],
               "people": [{"username": "a9.head", "display_name": "甲九镇长",
                           "posts": [{"unit": "town-a9", "title": "镇长", "roles": ["主要领导"]}]}]}
    county_a = await api.login("aadmin", PASSWORD)
    county_b = await api.login("badmin", PASSWORD)
    assert (await api.post("/api/import", payload, token=county_b)).status == 403
    dry = await api.post("/api/import", {**payload, "dry_run": True}, token=county_a)
    assert dry.status == 200 and dry.body == {"dry_run": True, "valid": True, "units": 1, "people": 1, "posts": 1}
    assert await services.mongo["units"].count_documents({"_id": "town-a9"}) == 0
    done = await api.post("/api/import", payload, token=county_a)
    assert done.status == 201, done
    assert (await services.orgs.get("town-a9"))["ancestors"] == ["city", "county-a"]
    again = await api.post("/api/import", payload, token=county_a)
    assert again.status == 400 and again.body["code"] == "import_rejected"
    assert {error["reason"] for error in again.body["errors"]} == {"unit town-a9 already exists",
                                                                   "username a9.head is taken"}


def run_oa(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "OA_DATA_DIR": str(data_dir),
           "HOME": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env,
                          timeout=180, check=False, cwd=Path(__file__).parent.parent)


def test_cli_import_reports_bad_rows_then_imports_with_progress(tmp_path: Path) -> None:
    units = tmp_path / "units.csv"
    people = tmp_path / "people.csv"
    units.write_text(UNITS_CSV + "qy-bad,坏,,公司,city,,,,,\n", encoding="utf-8")
    people.write_text(PEOPLE_CSV, encoding="utf-8")
    refused = run_oa(["import-units", str(units), "--people", str(people)], tmp_path / "var")
    assert refused.returncode == 1
    assert "units.csv line 8: type must be one of" in refused.stderr

    units.write_text(UNITS_CSV, encoding="utf-8")
    dry = run_oa(["import-units", str(units), "--people", str(people), "--dry-run"], tmp_path / "var")
    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout and "6 units" in dry.stdout
    done = run_oa(["import-units", str(units), "--people", str(people)], tmp_path / "var")
    assert done.returncode == 0, done.stderr
    assert "Imported 6 units, 2 people, 3 posts" in done.stdout
    assert "people   [" in done.stderr  # the progress bar
    again = run_oa(["import-units", str(units)], tmp_path / "var")
    assert again.returncode == 1 and "already exists" in again.stderr
