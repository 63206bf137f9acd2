"""移交: one ZIP of a unit's packages of a 年度, with the 归档文件目录 as a CSV Excel opens (UTF-8 with BOM).

Layout: 归档文件目录.csv (one row per 件 in 档号 order: 档号, 文号, 责任者, 题名, 日期, 页数, 保管期限, 备注),
信息包/{档号}.zip (each package as stored) and 四性检测/{档号}.json (its latest 四性检测 result).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from oa.archives.package import ZIP_TIME

CATALOGUE = "归档文件目录.csv"
COLUMNS = ("档号", "文号", "责任者", "题名", "日期", "页数", "保管期限", "备注")


def catalogue_csv(records: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        note = "收文" + (f"，来文单位：{record['source']}" if record.get("source") else "") \
            if record["kind"] == "收文" else ""
        carrier = (record.get("metadata") or {}).get("载体", "电子")
        if carrier != "电子":  # the original is on paper, kept by the unit: the receiving archive must know
            note = f"{note}，{carrier}" if note else carrier
        writer.writerow([record["archival_code"], record.get("doc_number") or "", record["authors"], record["title"],
                         record["date"], record["pages"], record["retention"], note])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_zip(records: list[dict[str, Any]], packages: dict[str, bytes]) -> bytes:
    """`packages`: archive id -> the package's bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(CATALOGUE, date_time=ZIP_TIME), catalogue_csv(records))
        for record in records:
            code = record["archival_code"]
            info = zipfile.ZipInfo(f"信息包/{code}.zip", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, packages[record["_id"]])
            check = record.get("last_check") or record["check"]
            archive.writestr(zipfile.ZipInfo(f"四性检测/{code}.json", date_time=ZIP_TIME),
                             json.dumps(check, ensure_ascii=False, indent=2, default=str))
    return out.getvalue()
