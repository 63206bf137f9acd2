"""督办 over HTTP: a unit's board of overdue and due-soon tasks and receipts (JSON or CSV), and 催办."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flows.supervision import board_csv
from oa.clock import CHINA
from oa.errors import InvalidInput
from web.api.exchange_stats import stats_unit
from web.authz import authorized
from web.base import APIHandler
from web.serialize import plain
from web.validation import optional, required

URGE_SHAPE = {"unit_id": required(str), "items": required(list, items=dict), "message": optional(str)}


async def urging_unit(handler: APIHandler) -> list[str | None]:
    return [handler.body(URGE_SHAPE)["unit_id"]]


class SupervisionHandler(APIHandler):
    @authorized("supervision", "read", units=stats_unit, inherit=False)
    async def get(self) -> None:
        """?unit_id=&within=hours (default 24)&format=csv."""
        raw = self.get_argument("within", "24")
        if not raw.isdigit():
            raise InvalidInput("within must be a whole number of hours", field="within")
        board = await self.services.supervision.board(self.get_argument("unit_id"), int(raw))
        if self.get_argument("format", "json") == "csv":
            name = f"督办清单_{datetime.now(CHINA).strftime('%Y%m%d_%H%M')}.csv"
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
            self.finish(board_csv(board))
            return
        self.send_json(plain(board))


class SupervisionUrgeHandler(APIHandler):
    @authorized("supervision", "urge", units=urging_unit, inherit=False)
    async def post(self) -> None:
        body = self.body(URGE_SHAPE)
        result = await self.services.supervision.do_urge(body["unit_id"], self.require_user(), body["items"],
                                                         body.get("message", ""), self.channel)
        self.send_json(plain(result))
