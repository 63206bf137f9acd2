"""Tamper-evident audit: per-unit hash chains over every audit record, their verifier and daily anchors.

`chain_of(mongo).link(session, unit, kind, [cover(coll, record)])` chains records another module wrote in
the same transaction; `chain_of(mongo).record(session, unit, kind, entry)` stores and chains an audit line
of a new kind in one call; `verify_chains(mongo, unit=None)` checks them.
"""

from oa.audit_chain.chain import AuditChain, Cover, chain_of, configure, cover, cover_many
from oa.audit_chain.verify import verify_chains

__all__ = ["AuditChain", "Cover", "chain_of", "configure", "cover", "cover_many", "verify_chains"]
