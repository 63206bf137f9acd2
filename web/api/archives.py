"""归档 over HTTP: archive a finished document, list and read the unit's archive, download a package, run the
四性检测 again, export a year (移交), and keep the 保管期限 table and 全宗号.

Who may do what is decided in flows/access.py: a unit's archivists (档案员) archive what it issued or received
and read, check and export its archive; its admins (or an ancestor's) keep its 保管期限 table.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from oa.archives import RETENTIONS
from oa.errors import Forbidden, InvalidInput
from web.authz import accessed, authenticated, authorized
from web.base import APIHandler
from web.serialize import page_json, plain
from web.validation import optional

ARCHIVE_SHAPE = {"retention": optional(str, nullable=True), "unit_id": optional(str, nullable=True)}
SETTINGS_SHAPE = {"version": optional(int), "by_type": optional(dict), "fonds_code": optional(str)}
LIST_FIELDS = ("_id", "document_id", "unit_id", "unit_name", "kind", "archival_code", "fonds_code", "year",
               "retention", "item_number", "title", "doc_number", "authors", "date", "doc_type", "pages", "by", "at")


def summary(record: dict[str, Any]) -> dict[str, Any]:
    return plain({**{key: record.get(key) for key in LIST_FIELDS}, "passed": record["check"]["passed"],
                  "package_size": record["package"]["size"]})


def view(record: dict[str, Any]) -> dict[str, Any]:
    return plain({**summary(record), "package": record["package"], "stamp": record["stamp"],
                  "metadata": record["metadata"], "check": record["check"],
                  "last_check": record.get("last_check") or record["check"], "history": record.get("history", [])})


async def the_archive(handler: APIHandler, archive_id: str, *_: str) -> list[str | None]:
    handler.archive = await handler.services.access.access_archive(handler.require_user(), archive_id)
    return []


def year_argument(handler: APIHandler, required: bool) -> int | None:
    raw = handler.get_query_argument("year", None)
    if not raw:
        if required:
            raise InvalidInput("query parameter 'year' is required (such as 2026)", field="year")
        return None
    if not (raw.isdigit() and len(raw) == 4):
        raise InvalidInput(f"query parameter 'year' must be a year such as 2026 (got {raw[:12]!r})", field="year")
    return int(raw)


class ArchiveDocumentHandler(APIHandler):
    @authenticated
    async def post(self, doc_id: str) -> None:
        """归档: body {retention?: 永久|30年|10年, unit_id?}. 201 with the record; 200 with it if already archived;
        422 naming the failed 四性检测 (nothing is stored)."""
        body = self.body(ARCHIVE_SHAPE) if self.request.body else {}
        if body.get("retention") is not None and body["retention"] not in RETENTIONS:
            raise InvalidInput(f"'retention' must be one of {'、'.join(RETENTIONS)}", field="retention")
        user = self.require_user()
        target = await self.services.access.access_archivable(user, doc_id, body.get("unit_id"))
        record, created = await self.services.archives.do_archive(target, body.get("retention"), user)
        self.send_json(view(record), status=201 if created else 200)


class ArchivesHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """The unit's archive, newest first: ?unit=&year=&offset=&limit=."""
        unit_id = await self.services.access.archive_unit(self.require_user(), self.get_query_argument("unit", None))
        offset, limit = self.paging()
        items, total = await self.services.archives.store.list([unit_id], year_argument(self, False), offset, limit)
        self.send_json({**page_json([summary(item) for item in items], total, offset, limit), "unit_id": unit_id})


class CandidatesHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """The unit's finished documents not yet archived (?unit=), with each one's default 保管期限."""
        user = self.require_user()
        unit_id = await self.services.access.archive_unit(user, self.get_query_argument("unit", None))
        items = await self.services.archives.candidates(unit_id)
        units = await self.services.access.archive_units(user)
        self.send_json({"unit_id": unit_id, "items": plain(items), "total": len(items), "retentions": list(RETENTIONS),
                        "units": [{"id": unit, "name": (self.services.directory.unit(unit) or {}).get("name", unit)}
                                  for unit in units]})


class ArchiveHandler(APIHandler):
    @accessed(the_archive)
    async def get(self, archive_id: str) -> None:
        """The record: 档号, metadata, the 归档章, the package's SHA-256, the 四性检测 result and the history."""
        self.send_json(view(self.archive))


class PackageHandler(APIHandler):
    @accessed(the_archive)
    async def get(self, archive_id: str) -> None:
        data = await self.services.archives.package(self.archive)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition",
                        f"attachment; filename*=UTF-8''{quote(self.archive['archival_code'] + '.zip')}")
        self.set_header("X-OA-SHA256", self.archive["package"]["sha256"])
        self.finish(data)


class CheckHandler(APIHandler):
    @accessed(the_archive)
    async def post(self, archive_id: str) -> None:
        """Run the 四性检测 again on the stored package; the result is kept with the record."""
        result = await self.services.archives.do_check(self.archive, self.require_user())
        self.send_json(plain(result))


class ExportHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """移交: ?year=YYYY&unit= — one ZIP of the year's packages with 归档文件目录.csv (UTF-8 with BOM)."""
        user = self.require_user()
        unit_id = await self.services.access.archive_unit(user, self.get_query_argument("unit", None))
        year = year_argument(self, True)
        assert year is not None
        data, count = await self.services.archives.export_year(unit_id, year, user)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(f'移交_{unit_id}_{year}.zip')}")
        self.set_header("X-OA-Items", str(count))
        self.finish(data)


async def settings_unit(handler: APIHandler, *_: str) -> list[str | None]:
    unit_id = handler.get_query_argument("unit", None)
    if not unit_id:
        raise InvalidInput("query parameter 'unit' is required", field="unit")
    return [unit_id]


class SettingsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """The unit's 保管期限 table (each 文种, which the unit set itself) and its 全宗号: ?unit=."""
        unit_id = (await settings_unit(self))[0]
        assert unit_id is not None
        if not await self.services.access.may_read_archive_settings(self.require_user(), unit_id):
            raise Forbidden("只有本单位的档案员和管理员可以查看保管期限表", kind="archive", action="read")
        self.send_json(plain(await self.services.archives.retention.of_unit(unit_id)))

    @authorized("archive", "settings", units=settings_unit)
    async def put(self) -> None:
        """Change it (admins of the unit or above): {version, by_type: {文种: 永久|30年|10年|null}, fonds_code}."""
        unit_id = (await settings_unit(self))[0]
        assert unit_id is not None
        body = self.body(SETTINGS_SHAPE)
        updated = await self.services.archives.retention.do_update(
            unit_id, body.get("version", 0), body.get("by_type"), body.get("fonds_code"), self.require_user()["_id"])
        self.send_json(plain(updated))
