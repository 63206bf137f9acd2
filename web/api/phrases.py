"""A person's own 常用语: /api/me/phrases (list, add), /order (reorder) and /{id} (delete). Each person sees
and changes only their own list."""

from __future__ import annotations

from oa.phrases import phrases_json
from web.authz import authenticated
from web.base import APIHandler
from web.validation import required

ADD_SHAPE = {"text": required(str)}
ORDER_SHAPE = {"ids": required(list, items=str)}


class PhrasesHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        self.send_json(phrases_json(await self.services.phrases.list(self.require_user()["_id"])))

    @authenticated
    async def post(self) -> None:
        body = self.body(ADD_SHAPE)
        items = await self.services.phrases.add(self.require_user()["_id"], body["text"])
        self.send_json(phrases_json(items), status=201)


class PhraseOrderHandler(APIHandler):
    @authenticated
    async def put(self) -> None:
        body = self.body(ORDER_SHAPE)
        self.send_json(phrases_json(await self.services.phrases.reorder(self.require_user()["_id"], body["ids"])))


class PhraseHandler(APIHandler):
    @authenticated
    async def delete(self, phrase_id: str) -> None:
        self.send_json(phrases_json(await self.services.phrases.delete(self.require_user()["_id"], phrase_id)))
