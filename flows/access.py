"""Who may see a document or a flow, and from which side: the one place the rule is written.

A document has two sides. Its drafting side — the people of its drafting unit who read
documents there, and everyone a flow of that unit involved (a countersigning department head) —
sees it whole: its drafts, revisions and redline diff, and its flows. Its receiving side — the
units it was sent or forwarded to (and not sent back), and the people their own 收文 flows
involve — sees the issued document and its own records, never the drafting history nor the
sender's flow. Everyone else is told the document does not exist.

Every handler and engine path that shows or acts on a document or flow asks here and gets the
object back, or NotFound/Forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flows.exchange.board import ExchangeQueries
from flows.queries import FlowQueries
from oa.archives import ArchiveStore
from oa.clock import utcnow
from oa.documents import DocumentService
from oa.errors import Conflict, Forbidden, NotFound
from oa.orgs import OrgService
from oa.recipients import RecipientService
from permissions.authorizer import Authorizer


class Side(StrEnum):
    DRAFTING = "drafting"  # for a receipt: the sending side
    RECEIVING = "receiving"


# What the sending side sees of a recipient's record: the exchange between the two units, never the
# recipient's own handling (its 收文编号, registrar, 收文 flow and opinions).
SENDER_RECEIPT_ACTIONS = ("sign", "return", "urge", "recall", "recall_notice", "recall_acknowledged")


@dataclass(frozen=True)
class Archivable:
    """A document one unit may archive now: as its 发文 (it issued it) or its 收文 (its receipt was 办结)."""

    document: dict[str, Any]
    unit_id: str
    kind: str  # 发文 or 收文
    receipt: dict[str, Any] | None = None


# What each kind of access needs: seeing from either side, or the drafting side only.
DRAFTING_ONLY = ("history",)
ACTIONS = ("draft", "number")


class Access:
    def __init__(self, authorizer: Authorizer, documents: DocumentService, flow_queries: FlowQueries,
                 exchange: ExchangeQueries, orgs: OrgService, recipients: RecipientService,
                 archives: ArchiveStore | None = None) -> None:
        self.authorizer = authorizer
        self.archives = archives
        self.orgs = orgs
        self.recipients = recipients
        self.documents = documents
        self.flow_queries = flow_queries
        self.exchange = exchange

    async def side_of(self, user: dict[str, Any], document: dict[str, Any]) -> Side | None:
        if await self.authorizer.allowed(user, "document", "read", document["drafting_unit_id"], inherit=False) \
                or user["_id"] in document.get("participants", []):
            return Side.DRAFTING
        readable = await self.authorizer.units_allowing(user, "document", "read")
        if await self.exchange.received_by(document["_id"], readable) or await self.flow_queries.takes_part(
                document["_id"], user["_id"]):
            return Side.RECEIVING
        # 委托: a delegate opening a task they act on for its holder reads the document from the side the
        # holder does (a 会签 or 签发 of the drafting side; a 收文 task of the receiving side).
        held = await self.flow_queries.delegated_task(user["_id"], utcnow(), document_id=document["_id"])
        if held is not None:
            return Side.DRAFTING if set(held["assignees"]) & set(document.get("participants", [])) \
                else Side.RECEIVING
        return None

    async def access_document(self, user: dict[str, Any], doc_id: str, for_action: str = "read",
                              ) -> tuple[dict[str, Any], Side]:
        """The document and the side the person sees it from.

        `read`: either side; `history` (revisions, diff): the drafting side; `draft`, `number`: a role
        in the drafting unit that allows it (403 for someone who can see it but not do that).
        """
        document = await self.documents.find(doc_id)
        side = await self.side_of(user, document) if document is not None else None
        if document is None or side is None or (for_action in DRAFTING_ONLY and side != Side.DRAFTING):
            raise NotFound(f"document {doc_id} not found")
        if for_action in ACTIONS and not await self.authorizer.allowed(
                user, "document", for_action, document["drafting_unit_id"], inherit=False):
            raise Forbidden(f"you may not {for_action} documents of the unit that drafted this one",
                            kind="document", action=for_action)
        return document, side

    async def may_take_original(self, user: dict[str, Any], document: dict[str, Any]) -> bool:
        """May this person take the signed, issued PDF byte for byte (no viewer's watermark)? The issuing
        unit's clerks and archivists (收发员, 办公室主任, 档案员 of the drafting unit) only; everyone else who may
        read the document gets a copy marked with their name."""
        return await self.authorizer.allowed(user, "document", "original", document["drafting_unit_id"],
                                             inherit=False)

    async def archive_units(self, user: dict[str, Any], action: str = "read") -> list[str]:
        """The units whose archive the person keeps (档案员 there): `read` lists and exports, `write` archives."""
        return await self.authorizer.units_allowing(user, "archive", action)

    async def archive_unit(self, user: dict[str, Any], unit_id: str | None) -> str:
        """The unit whose archive the person asks for (their first, if none is named): an archivist's own only."""
        units = await self.archive_units(user)
        if unit_id is None and units:
            return units[0]
        if unit_id is None:
            raise Forbidden("档案由各单位的档案员管理，您没有档案员岗位", kind="archive", action="read")
        if unit_id not in units:
            raise NotFound(f"archive of unit {unit_id} not found")
        return unit_id

    async def may_read_archive_settings(self, user: dict[str, Any], unit_id: str) -> bool:
        """A unit's 保管期限 table and 全宗号: its archivists read them, its admins (or an ancestor's) keep them."""
        return await self.authorizer.allowed(user, "archive", "read", unit_id, inherit=False) \
            or await self.authorizer.allowed(user, "archive", "settings", unit_id)

    async def access_archivable(self, user: dict[str, Any], doc_id: str, unit_id: str | None = None) -> Archivable:
        """The document as one of the person's units may archive it: its 发文 once issued, its 收文 once the
        receipt is 办结. NotFound for someone who cannot see the document; Forbidden for someone who is not an
        archivist of a unit that issued or received it; Conflict while it is not finished."""
        document, _ = await self.access_document(user, doc_id)
        units = [unit for unit in await self.archive_units(user, "write") if unit_id in (None, unit)]
        if not units:
            raise Forbidden("只有发文或收文单位的档案员可以归档", kind="archive", action="write")
        if document["drafting_unit_id"] in units and document["status"] != "received":
            if document["status"] != "issued":
                raise Conflict("该公文尚未办结（发文须经签发、编号、用印并分发后归档）", code="not_finished",
                               status=document["status"])
            return Archivable(document, document["drafting_unit_id"], "发文")
        receipt = await self.exchange.closed_receipt(doc_id, units)
        if receipt is not None:
            return Archivable(document, receipt["unit_id"], "收文", receipt)
        if await self.exchange.received_by(doc_id, units):
            raise Conflict("该收文尚未办结，办结后才能归档", code="not_finished")
        raise Forbidden("该公文不是您所在单位发出或收到的，不能由您归档", kind="archive", action="write")

    async def access_archive(self, user: dict[str, Any], archive_id: str) -> dict[str, Any]:
        """An archive record, to its unit's archivists only; anyone else is told it does not exist."""
        record = await self.archives.find(archive_id) if self.archives is not None else None
        if record is None or not await self.authorizer.allowed(user, "archive", "read", record["unit_id"],
                                                               inherit=False):
            raise NotFound(f"archive {archive_id} not found")
        return record

    async def may_see_instance(self, user: dict[str, Any], instance: dict[str, Any]) -> bool:
        """A flow is its unit's: seen by those who read documents there, by the people it involves and, while
        a 委托 is in force, by the delegate of someone holding one of its open tasks."""
        return user["_id"] in instance.get("participants", []) or await self.authorizer.allowed(
            user, "document", "read", instance["unit_id"], inherit=False) \
            or await self.flow_queries.delegated_task(user["_id"], utcnow(), instance_id=instance["_id"]) is not None

    async def access_instance(self, user: dict[str, Any], instance_id: str) -> dict[str, Any]:
        view = await self.flow_queries.instance_view(instance_id)
        if not await self.may_see_instance(user, view["instance"]):
            raise NotFound(f"flow {instance_id} not found")
        return view

    async def flows_of_document(self, user: dict[str, Any], doc_id: str) -> list[dict[str, Any]]:
        """The flows on a document the person may see: a sender never gets a recipient's 收文 flow
        (nor the reverse), only those of units where they read documents or that involve them."""
        await self.access_document(user, doc_id)
        flows = await self.flow_queries.instances_of_document(doc_id)
        return [flow for flow in flows if await self.may_see_instance(user, flow)]

    async def access_dispatch(self, user: dict[str, Any], dispatch_id: str, for_action: str = "read",
                              ) -> dict[str, Any]:
        """A dispatch is its sending unit's: its exchange readers see the board, its clerks act (催办, 追回).
        Anyone else is told it does not exist."""
        dispatch = await self.exchange.find_dispatch(dispatch_id)
        if dispatch is None or not await self.authorizer.allowed(user, "exchange", for_action,
                                                                 dispatch["sender_unit_id"], inherit=False):
            raise NotFound(f"dispatch {dispatch_id} not found")
        return dispatch

    async def access_receipt(self, user: dict[str, Any], receipt_id: str, for_action: str = "read",
                             ) -> dict[str, Any]:
        """A receipt is the receiving unit's record: its exchange readers see it and its clerks act on it
        (签收, 退文, 登记, 转发…). The sending unit's readers see it too, as a row of their board, and its
        clerks may urge it (`urge`); nobody else learns it exists."""
        receipt = await self.exchange.find_receipt(receipt_id)
        if receipt is not None and await self._may_on_receipt(user, receipt, for_action):
            return receipt
        raise NotFound(f"incoming document {receipt_id} not found")

    async def receipt_side(self, user: dict[str, Any], receipt: dict[str, Any]) -> Side:
        """RECEIVING for the receiving unit's people; DRAFTING for the sender's (who see a board row)."""
        if await self.authorizer.allowed(user, "exchange", "read", receipt["unit_id"], inherit=False):
            return Side.RECEIVING
        return Side.DRAFTING

    async def _may_on_receipt(self, user: dict[str, Any], receipt: dict[str, Any], for_action: str) -> bool:
        sender = receipt.get("sender_unit_id") if receipt.get("dispatch_id") else None
        if for_action == "urge":
            return sender is not None and await self.authorizer.allowed(user, "exchange", "handle", sender,
                                                                        inherit=False)
        if await self.authorizer.allowed(user, "exchange", for_action, receipt["unit_id"], inherit=False):
            return True
        return for_action == "read" and sender is not None and await self.authorizer.allowed(
            user, "exchange", "read", sender, inherit=False)

    async def may_keep_groups(self, user: dict[str, Any], unit_id: str | None) -> bool:
        """A unit's saved recipient groups are kept by its own clerks (who send for that unit only) and
        by the admins over it; the platform's groups by platform-wide admins."""
        if unit_id is None:
            return await self.authorizer.allowed(user, "recipient_group", "write")
        return await self.authorizer.allowed(user, "recipient_group", "write", unit_id, inherit=False) \
            or await self.authorizer.allowed(user, "unit", "write", unit_id)

    async def access_group(self, user: dict[str, Any], group_id: str) -> dict[str, Any]:
        """A saved group the person keeps (to delete it); anyone else is told it does not exist."""
        group = await self.recipients.get_group(group_id)
        if not await self.may_keep_groups(user, group.get("unit_id")):
            raise NotFound(f"recipient group {group_id} does not exist")
        return group

    async def access_handover(self, user: dict[str, Any], holder_id: str) -> tuple[dict[str, Any], list[str] | None]:
        """The person whose open tasks `user` may hand over (批量移交), and the units whose tasks they may
        move (None: all of them), or NotFound/Forbidden.

        The person themself, and a platform-wide admin, move all of them. Otherwise it is by unit, as a
        leader often holds posts in two (县长 and 县委副书记): the tasks of each unit where the person holds
        a post and the caller is its 办公室主任 or 管理员 (a role allowing task:handover in that very unit)
        or administers a unit above it.
        """
        holder = self.orgs.directory.user(holder_id)
        if holder is None:
            raise NotFound(f"person {holder_id} not found")
        administered = await self.authorizer.administered_units(user)
        if holder_id == user["_id"] or administered is None:
            return holder, None
        units = sorted({post["unit_id"] for post in holder.get("posts", []) if post.get("active")})
        allowed = [unit_id for unit_id in units
                   if await self.authorizer.allowed(user, "task", "handover", unit_id, inherit=False)
                   or set(self.orgs.directory.path_ids(unit_id)) & set(administered)]
        if not allowed:
            raise Forbidden("only the person, the office head or admin of their unit, or an admin above it may "
                            "hand over their tasks", kind="task", action="handover")
        return holder, allowed

    async def people_view(self, viewer: dict[str, Any], people: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """People as the viewer may see them: the mobile number as `Authorizer.may_see_mobile` rules."""
        directory = self.authorizer.directory

        def may_see_mobile(user: dict[str, Any]) -> bool:
            person = directory.person(user["_id"])
            return person is not None and self.authorizer.may_see_mobile(viewer, person)

        return [person if may_see_mobile(person) else {**person, "mobile": None, "mobile_hidden": True}
                for person in people]
