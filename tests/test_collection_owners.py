"""The org collections, and the small ones held in memory, are read and written by their owners only;
everyone else asks the directory or the owner.

Units and people are held in memory by `oa/directory.py` and changed by `oa/orgs.py` and
`oa/users.py` (and, in bulk, by the importer and the demo loader that writes through it). A module
that queried `units` or `users` itself would be back to scanning the people collection on every
flow step, and would bypass the write-through that keeps the directory fresh.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("oa", "flows", "storage", "permissions", "web")
OWNERS = {
    "units": {"oa/orgs.py", "oa/directory.py", "oa/importer.py", "oa/demo_setup.py"},
    "users": {"oa/users.py", "oa/directory.py", "oa/importer.py", "oa/demo_setup.py"},
    "unit_history": {"oa/orgs.py"},
    # Held in memory by their owners and kept current from the change stream.
    "delegations": {"flows/delegations.py"},
    "recipient_groups": {"oa/recipients.py"},
    "flow_claims": {"flows/catalog.py"},
    "work_calendar": {"flows/calendar.py"},
    "opinion_phrases": {"oa/phrases.py"},
    # Seals: the registry keeps keys sealed and every change audited; nobody else reads a key.
    "seals": {"oa/seals/registry.py"},
    "seal_history": {"oa/seals/registry.py"},
    "seal_uses": {"oa/seals/uses.py"},
    "seal_authority": {"oa/seals/authority.py"},
    # Notifications: the 消息 centre, the record of sends, settings, Web Push keys and subscriptions.
    "notifications": {"oa/notifications/inbox.py"},
    "notification_sends": {"oa/notifications/sends.py"},
    "notify_prefs": {"oa/notifications/prefs.py"},
    "webpush_keys": {"oa/notifications/webpush.py"},
    "push_subscriptions": {"oa/notifications/webpush.py"},
    # 归档: the archive's records and 件号 counters, and the 保管期限 tables, each by its owner only.
    "archives": {"oa/archives/store.py"},
    "archive_counters": {"oa/archives/store.py"},
    "archive_settings": {"oa/archives/retention.py"},
    # 常用联系人: each person's starred contacts.
    "starred_contacts": {"oa/starred.py"},
    # The audit hash chains: links, heads and the audit lines of actions with no audit collection of their own.
    "audit_chain": {"oa/audit_chain/chain.py", "oa/audit_chain/verify.py"},
    "audit_heads": {"oa/audit_chain/chain.py", "oa/audit_chain/verify.py", "oa/audit_chain/anchors.py"},
    "audit_records": {"oa/audit_chain/chain.py"},
}
# mongo["units"], self.mongo["users"], mongo.db["units"], db["users"] …
COLLECTION = re.compile(r"""\b(?:mongo|db)\s*\[\s*["']([a-z_]+)["']\s*\]""")
# reaching through another service to its collection: services.users.users.find(...), orgs.units.find(...)
THROUGH = re.compile(r"""\b(?:orgs|users)\.(units|users|history)\.(?:find|insert|update|delete|count|aggregate|bulk)""")


def product_files() -> list[Path]:
    return sorted(path for folder in PRODUCT for path in (ROOT / folder).rglob("*.py"))


def test_the_scan_sees_the_owners_themselves() -> None:
    """A scan that matched nothing would pass whatever the code did."""
    seen = {match for path in product_files() for match in COLLECTION.findall(path.read_text(encoding="utf-8"))}
    assert {"units", "users", "unit_history", "documents", "events"} <= seen


def test_only_the_owners_touch_the_org_collections() -> None:
    trespasses = []
    for path in product_files():
        relative = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for collection in COLLECTION.findall(line):
                if collection in OWNERS and relative not in OWNERS[collection]:
                    trespasses.append(f"{relative}:{number}: {line.strip()}")
            if THROUGH.search(line) and relative not in OWNERS["units"] | OWNERS["users"]:
                trespasses.append(f"{relative}:{number}: {line.strip()}")
    assert trespasses == [], "ask oa.directory (or the owner's functions) instead:\n" + "\n".join(trespasses)
