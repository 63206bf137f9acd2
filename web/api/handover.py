"""批量移交: /api/users/{id}/open-tasks lists a person's open tasks, /api/users/{id}/hand-over hands them
all to someone else in one action, with a result per task.

Only the person themself, the office head or admin of their unit, or an admin above it may see or move
them, the last two only the tasks of the units they answer for (`Access.access_handover`); anyone else
is refused.
"""

from __future__ import annotations

from web.authz import authenticated
from web.base import APIHandler
from web.serialize import plain
from web.validation import optional, required

HANDOVER_SHAPE = {"to_user": required(str), "reason": optional(str)}


class OpenTasksHandler(APIHandler):
    @authenticated
    async def get(self, user_id: str) -> None:
        holder, units = await self.services.access.access_handover(self.require_user(), user_id)
        items = await self.services.flows.open_tasks_of(holder["_id"], units)
        self.send_json({"items": plain(items), "total": len(items)})


class HandOverHandler(APIHandler):
    @authenticated
    async def post(self, user_id: str) -> None:
        body = self.body(HANDOVER_SHAPE)
        holder, units = await self.services.access.access_handover(self.require_user(), user_id)
        result = await self.services.flows.do_hand_over(holder, body["to_user"], self.require_user(),
                                                        body.get("reason", "").strip(), self.channel, units)
        self.send_json(plain(result))
