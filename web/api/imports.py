"""POST /api/import: bulk import of units and people in the JSON format, all or nothing, with dry runs."""

from __future__ import annotations

from oa import importer
from oa.errors import Forbidden
from oa.import_parse import ImportInput, parse_mapping
from web.authz import authenticated
from web.base import APIHandler
from web.validation import optional

IMPORT_SHAPE = {"units": optional(list), "people": optional(list), "dry_run": optional(bool)}


class ImportHandler(APIHandler):
    # The units an import touches are only known after validation, so the permission check
    # runs here, per anchor unit, before anything is written.
    @authenticated
    async def post(self) -> None:
        body = self.body(IMPORT_SHAPE)
        user = self.require_user()
        given = ImportInput()
        parse_mapping({key: body[key] for key in ("units", "people") if key in body}, "request", given)
        plan = await importer.validate(self.services.mongo, given)
        authorizer = self.services.authorizer
        targets: list[str | None] = [None] if plan.creates_roots else []
        targets += sorted(plan.anchor_unit_ids)
        for unit_id in targets or [None]:
            if not await authorizer.allowed(user, "import", "write", unit_id):
                where = f"under unit {unit_id}" if unit_id else "at the top of the hierarchy"
                raise Forbidden(f"you may not import units or people {where}")
        if body.get("dry_run"):
            self.send_json({"dry_run": True, "valid": True, **plan.summary()})
            return
        summary = await importer.apply(self.services.mongo, plan, by=user["_id"], directory=self.services.directory)
        self.send_json({"dry_run": False, "imported": summary}, status=201)
