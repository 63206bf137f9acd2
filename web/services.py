"""Wiring: the storage clients and domain services of one process, built once inside the event loop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flows.access import Access
from flows.actions import FlowService
from flows.annotations import AnnotationStore
from flows.archiving import ArchiveService
from flows.auto_steps import AutoSteps
from flows.calendar import CalendarStore
from flows.catalog import FlowCatalog
from flows.deadlines import DeadlineScheduler
from flows.delegations import DelegationService
from flows.exchange.board import ExchangeQueries
from flows.exchange.dispatch import DispatchService
from flows.exchange.moves import ExchangeLog
from flows.exchange.recall import RecallService
from flows.exchange.receiving import ReceiptService
from flows.exchange.reminders import ReceiptReminders
from flows.exchange.stats import ExchangeStatistics
from flows.queries import FlowQueries
from flows.search.index import SearchIndex
from flows.search.indexer import FOLLOWED, SearchIndexer
from flows.search.service import SearchService
from flows.signatures import SignatureStore
from flows.supervision import Supervision
from oa.archives import ArchiveStore, RetentionSettings
from oa.attachments import AttachmentService
from oa.audit_chain import configure as configure_audit
from oa.audit_chain.anchors import Anchors
from oa.clock import CHINA, utcnow
from oa.contacts import ContactBook
from oa.directory import Directory
from oa.doc_types import DocTypeService
from oa.documents import DocumentService
from oa.import_runs import ImportRuns
from oa.incoming_numbers import IncomingNumbers
from oa.login_states import LoginStates
from oa.notifications.service import NotificationService
from oa.numbering import NumberService
from oa.orgs import OrgService
from oa.password_policy import PasswordPolicy
from oa.phrases import PhraseService
from oa.recipients import RecipientService
from oa.seals import Seals
from oa.seals.keys import load_or_create_secret
from oa.seals.signing import load_signer
from oa.seals.verify import load_trust_roots
from oa.sessions import SessionService
from oa.starred import StarredContacts
from oa.throttle import LoginThrottle
from oa.users import UserService
from permissions.authorizer import Authorizer
from storage.blobs import MinioBlobStore
from storage.events import EventHub
from storage.indexes import apply_indexes, check_schema
from storage.mongo import Mongo
from web.config import Settings


@dataclass(frozen=True)
class Endpoints:
    """Where the database and object store are: the embedded ones or the configured ones."""

    mongodb_uri: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_secure: bool


@dataclass
class Services:
    settings: Settings
    mongo: Mongo
    directory: Directory
    blobs: MinioBlobStore
    orgs: OrgService
    users: UserService
    sessions: SessionService
    authorizer: Authorizer
    doc_types: DocTypeService
    numbers: NumberService
    documents: DocumentService
    attachments: AttachmentService
    catalog: FlowCatalog
    calendars: CalendarStore
    delegations: DelegationService
    flows: FlowService
    flow_queries: FlowQueries
    signatures: SignatureStore
    deadlines: DeadlineScheduler
    events: EventHub
    recipients: RecipientService
    exchange_log: ExchangeLog
    dispatches: DispatchService
    receipts: ReceiptService
    exchange_queries: ExchangeQueries
    exchange_stats: ExchangeStatistics
    access: Access
    recalls: RecallService
    seals: Seals
    search: SearchService
    login_states: LoginStates
    phrases: PhraseService
    annotations: AnnotationStore
    notifications: NotificationService
    supervision: Supervision
    contacts: ContactBook
    archives: ArchiveService
    anchors: Anchors

    @classmethod
    async def open(cls, settings: Settings, endpoints: Endpoints) -> Services:
        mongo = await Mongo.connect(endpoints.mongodb_uri, settings.mongodb_db,
                                    timeout_ms=settings.startup_timeout * 1000)
        await mongo.ping()
        if settings.embedded_mongodb:
            await apply_indexes(mongo)  # this process owns its embedded database
        else:
            await check_schema(mongo)  # `oa migrate` (a Job before the rollout) changes it, not every replica
        configure_audit(mongo, settings.audit_hash)
        await ImportRuns(mongo).recover()  # an import cut off by a stop is finished or rolled back
        blobs = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
                               settings.s3_bucket, secure=endpoints.s3_secure, public_url=settings.s3_public_url)
        await blobs.ensure_bucket()
        # The stream opens before the directory loads, so nothing written in between is missed.
        directory = Directory()
        events = EventHub(mongo)
        events.follow(["units", "users", "imports"], directory.apply_change, lambda: directory.load(mongo))
        calendars = CalendarStore(mongo, directory)
        events.follow([CalendarStore.COLLECTION], calendars.forget, calendars.reload, records=False)
        recipients = RecipientService(mongo, directory)
        events.follow([RecipientService.COLLECTION], recipients.forget, recipients.reload, records=False)
        catalog = FlowCatalog(mongo, directory)
        events.follow([FlowCatalog.CLAIMS], catalog.forget, catalog.reload, records=False)
        delegations = DelegationService(mongo, directory)
        events.follow([DelegationService.COLLECTION], delegations.apply_change, delegations.reload)
        indexer = SearchIndexer(SearchIndex(settings.data_dir / "search"))
        events.follow(list(FOLLOWED), indexer.on_change, indexer.on_reset, records=False)
        notifications = NotificationService(mongo, settings, directory, events)  # listens before the stream opens
        await events.start()
        await directory.load(mongo)
        # The State Council's holidays of this year and the next, so deadlines are right from the first day.
        if settings.prefill_holidays:
            await calendars.prefill_official(utcnow().astimezone(CHINA).date())
        await delegations.reload()
        users = UserService(mongo, directory, password_policy(settings))
        throttle = LoginThrottle(mongo, settings.login_max_failures, settings.login_max_failures_per_address,
                                 timedelta(minutes=settings.login_window_minutes),
                                 lockout=timedelta(minutes=settings.login_lockout_minutes))
        sessions = SessionService(mongo, users, throttle, timedelta(hours=settings.session_hours))
        orgs = OrgService(mongo, directory)
        doc_types = DocTypeService(mongo)
        numbers = NumberService(mongo)
        documents = DocumentService(mongo, orgs, doc_types, numbers, recipients)
        migrated = await documents.migrate_free_text_organs()
        if migrated is not None and migrated.documents:
            print("Migrated free-text issuers and recipients:\n  " + "\n  ".join(migrated.lines()), flush=True)
        attachments = AttachmentService(
            mongo, blobs, documents, limit_bytes=settings.max_attachment_mb * 1024 * 1024,
            spool_dir=settings.data_dir / "uploads", url_lifetime=timedelta(minutes=settings.download_url_minutes))
        await catalog.seed_builtins()
        urge_interval = timedelta(minutes=settings.urge_interval_minutes)
        exchange_log = ExchangeLog(mongo, directory)
        dispatches = DispatchService(mongo, orgs, documents, recipients, calendars, exchange_log, urge_interval)
        seals = await open_seals(settings, mongo, blobs, orgs)
        flows = FlowService(mongo, catalog, orgs, documents, delegations, calendars,
                            AutoSteps(documents, blobs, dispatches, exchange_log, seals, mongo),
                            urge_interval=urge_interval)
        receipts = ReceiptService(mongo, orgs, documents, exchange_log, IncomingNumbers(mongo), dispatches, flows)
        authorizer = await Authorizer.create(mongo, directory)
        flow_queries = FlowQueries(mongo, delegations, directory, flows.deps.task_homes)
        exchange_queries = ExchangeQueries(mongo, exchange_log.counts)
        # Receipt changes of other replicas reach this one as the events they publish: drop stale counts.
        events.listen_all(exchange_log.counts.on_event)
        indexer.start(documents, exchange_queries, flow_queries)
        await notifications.start()
        contacts = ContactBook(directory, StarredContacts(mongo), authorizer.may_see_mobile)
        archive_store = ArchiveStore(mongo)
        archives = ArchiveService(documents, blobs, seals, flow_queries, exchange_queries, directory, archive_store,
                                  RetentionSettings(mongo))
        return cls(settings, mongo, directory, blobs, orgs, users, sessions, authorizer,
                   doc_types, numbers, documents, attachments, catalog, calendars, delegations, flows,
                   flow_queries, SignatureStore(blobs),
                   DeadlineScheduler(mongo, flows, calendars, dispatches=dispatches, holder=scheduler_holder(settings)),
                   events, recipients, exchange_log, dispatches, receipts, exchange_queries,
                   ExchangeStatistics(mongo, orgs), Access(authorizer, documents, flow_queries, exchange_queries, orgs,
                                                            recipients, archive_store),
                   RecallService(mongo, exchange_log), seals,
                   SearchService(indexer.index, indexer, authorizer, directory, contacts), LoginStates(mongo),
                   PhraseService(mongo), AnnotationStore(blobs, documents),
                   notifications,
                   Supervision(directory, flow_queries, exchange_queries, flows,
                               ReceiptReminders(mongo, exchange_log, urge_interval)),
                   contacts, archives, open_anchors(settings, endpoints, mongo))

    async def close(self) -> None:
        await self.notifications.stop()
        await self.search.indexer.stop()
        await self.events.stop()
        await self.mongo.close()


def open_anchors(settings: Settings, endpoints: Endpoints, mongo: Mongo) -> Anchors:
    """The daily audit anchors, in their own bucket (made on first use, with object lock where there is one)."""
    store = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
                           settings.audit_anchor_bucket or f"{settings.s3_bucket}-audit", secure=endpoints.s3_secure)
    return Anchors(mongo, store, retain=timedelta(days=settings.audit_anchor_retain_days),
                   lock_mode=settings.audit_anchor_lock_mode, tsa_url=settings.tsa_url)


def password_policy(settings: Settings) -> PasswordPolicy:
    """Expiry and history as configured (OA_PASSWORD_MAX_AGE_DAYS, OA_PASSWORD_HISTORY)."""
    max_age = timedelta(days=settings.password_max_age_days) if settings.password_max_age_days else None
    return PasswordPolicy(max_age=max_age, history=settings.password_history)


def scheduler_holder(settings: Settings) -> str | None:
    """The deadline lease's holder id. On the embedded database only the process holding the data directory's
    lock can be running, so the id is the directory's: a restart after a crash takes the lease back at once
    instead of waiting for the killed process's lease to lapse. Elsewhere each process has its own (None)."""
    return f"embedded:{settings.data_dir.resolve()}" if settings.embedded_mongodb else None


async def open_seals(settings: Settings, mongo: Mongo, blobs: MinioBlobStore, orgs: OrgService) -> Seals:
    """The seal registry, its CA and signer as configured (OA_SEAL_*, OA_TSA_URL)."""
    if not settings.seal_secret and not settings.embedded_mongodb:
        logging.getLogger("oa.seals").warning(
            "OA_SEAL_SECRET is not set: this replica keeps its own seal secret in %s, which no other replica can "
            "use to seal; give every replica the same OA_SEAL_SECRET", settings.data_dir / "seal-secret")
    secret = settings.seal_secret.encode() if settings.seal_secret else \
        load_or_create_secret(settings.data_dir / "seal-secret")
    roots = load_trust_roots([Path(settings.seal_trust_roots)]) if settings.seal_trust_roots else []
    return await Seals.open(mongo, blobs, orgs, secret=secret, data_dir=settings.data_dir,
                            auto_issue=settings.seal_auto_issue, signer=load_signer(settings.seal_signer),
                            timestamp_url=settings.tsa_url, extra_roots=roots)
