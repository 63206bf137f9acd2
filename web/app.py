"""The Tornado application: every route in one table, services passed in through settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import tornado.web

from oa.notifications.sms import sms_sender
from oa.sms_login import SmsLogin
from web import openapi, pages
from web.api import (
    archives,
    attachments,
    audit,
    auth,
    calendar,
    contacts,
    delegations,
    document_pages,
    documents,
    exchange,
    exchange_desk,
    exchange_stats,
    flows,
    handover,
    health,
    imports,
    instances,
    notifications,
    phrases,
    seals,
    search,
    supervision,
    tasks,
    units,
    users,
)
from web.base import NotFoundHandler
from web.metrics import Metrics, MetricsHandler
from web.oidc import OidcClient
from web.oidc_pages import CALLBACK_PATH, OidcCallbackHandler, OidcLoginHandler
from web.push import PING_INTERVAL_S, PING_TIMEOUT_S, PushHandler
from web.services import Services
from web.session_watch import SessionWatch

UNIT_ID = r"([a-z0-9][a-z0-9_-]{1,63})"
USER_ID = r"([A-Za-z0-9_-]{1,64})"
DOC_ID = r"(doc-[0-9a-f]{16})"
ATTACHMENT_ID = r"(att-[0-9a-f]{12})"
TASK_ID = r"(task-[0-9a-f]{16})"
INSTANCE_ID = r"(fi-[0-9a-f]{16})"
DISPATCH_ID = r"(dp-[0-9a-f]{16})"
# <dispatch>.<unit> for a delivered document, paper.<document> for a registered paper one.
RECEIPT_ID = r"((?:dp-[0-9a-f]{16}|paper)\.[A-Za-z0-9_.-]{1,64})"
GROUP_ID = r"([A-Za-z0-9_-]{1,64})"
ARCHIVE_ID = r"(ar-[0-9a-f]{16})"
FLOW_KEY = r"([a-z][a-z0-9_-]{1,39})"

ROUTES: list[tuple[str, type[tornado.web.RequestHandler]]] = [
    (r"/ws", PushHandler),
    (r"/api/health", health.HealthHandler),
    (r"/api/health/live", health.LiveHandler),
    (r"/api/health/ready", health.HealthHandler),
    (r"/metrics", MetricsHandler),
    (r"/api/login", auth.LoginHandler),
    (r"/api/logout", auth.LogoutHandler),
    (r"/api/activate", auth.ActivateHandler),
    (r"/api/password", auth.PasswordHandler),
    (r"/api/login/options", auth.LoginOptionsHandler),
    (r"/api/login/sms-code", auth.SmsCodeHandler),
    (r"/api/login/sms", auth.SmsLoginHandler),
    (r"/api/me", auth.MeHandler),
    (r"/api/me/phrases", phrases.PhrasesHandler),
    (r"/api/me/phrases/order", phrases.PhraseOrderHandler),
    (r"/api/me/phrases/(ph-[0-9a-f]{12})", phrases.PhraseHandler),
    (r"/api/units", units.UnitsHandler),
    (rf"/api/units/{UNIT_ID}", units.UnitHandler),
    (rf"/api/units/{UNIT_ID}/children", units.ChildrenHandler),
    (rf"/api/units/{UNIT_ID}/subtree", units.SubtreeHandler),
    (rf"/api/units/{UNIT_ID}/ancestors", units.AncestorsHandler),
    (rf"/api/units/{UNIT_ID}/history", units.HistoryHandler),
    (rf"/api/units/{UNIT_ID}/move", units.MoveHandler),
    (rf"/api/units/{UNIT_ID}/merge", units.MergeHandler),
    (rf"/api/units/{UNIT_ID}/dissolve", units.DissolveHandler),
    (rf"/api/units/{UNIT_ID}/activation-codes", users.UnitActivationCodesHandler),
    (rf"/api/units/{UNIT_ID}/seals", seals.UnitSealsHandler),
    (rf"/api/units/{UNIT_ID}/seal/image", seals.SealImageHandler),
    (rf"/api/units/{UNIT_ID}/seal/key", seals.SealKeyHandler),
    (rf"/api/units/{UNIT_ID}/seal/revoke", seals.RevokeSealHandler),
    (r"/api/seals/ca\.pem", seals.CertificateAuthorityHandler),
    (r"/api/audit/verify", audit.VerifyHandler),
    (r"/api/audit/records", audit.RecordsHandler),
    (r"/api/audit/anchors", audit.AnchorsHandler),
    (r"/api/users", users.UsersHandler),
    (rf"/api/users/{USER_ID}", users.UserHandler),
    (rf"/api/users/{USER_ID}/activation-code", users.ActivationCodeHandler),
    (rf"/api/users/{USER_ID}/open-tasks", handover.OpenTasksHandler),
    (rf"/api/users/{USER_ID}/hand-over", handover.HandOverHandler),
    (rf"/api/users/{USER_ID}/unlock", users.UnlockHandler),
    (r"/api/contacts", contacts.ContactsHomeHandler),
    (rf"/api/contacts/units/{UNIT_ID}", contacts.ContactUnitHandler),
    (rf"/api/contacts/units/{UNIT_ID}/children", contacts.ContactChildrenHandler),
    (rf"/api/contacts/units/{UNIT_ID}/people", contacts.ContactPeopleHandler),
    (r"/api/contacts/search", contacts.ContactSearchHandler),
    (rf"/api/contacts/starred/{USER_ID}", contacts.StarredContactHandler),
    (r"/api/import", imports.ImportHandler),
    (r"/api/document-types", documents.DocTypesHandler),
    (r"/api/doc-numbers/check", documents.DocNumberCheckHandler),
    (r"/api/documents", documents.DocumentsHandler),
    (rf"/api/documents/{DOC_ID}", documents.DocumentHandler),
    (rf"/api/documents/{DOC_ID}/revisions", documents.RevisionsHandler),
    (rf"/api/documents/{DOC_ID}/revisions/([1-9][0-9]{{0,8}})", documents.RevisionHandler),
    (rf"/api/documents/{DOC_ID}/diff", documents.DiffHandler),
    (rf"/api/documents/{DOC_ID}/render\.docx", documents.RenderHandler),
    (rf"/api/documents/{DOC_ID}/preview", documents.PreviewHandler),
    (rf"/api/documents/{DOC_ID}/render\.pdf", document_pages.PdfHandler),
    (rf"/api/documents/{DOC_ID}/pages", document_pages.PagesHandler),
    (rf"/api/documents/{DOC_ID}/pages/([1-9][0-9]{{0,3}})\.png", document_pages.PageImageHandler),
    (rf"/api/documents/{DOC_ID}/number", documents.NumberHandler),
    (rf"/api/documents/{DOC_ID}/number/void", documents.VoidNumberHandler),
    (rf"/api/documents/{DOC_ID}/attachments", attachments.AttachmentsHandler),
    (rf"/api/documents/{DOC_ID}/attachments/{ATTACHMENT_ID}", attachments.AttachmentHandler),
    (rf"/api/documents/{DOC_ID}/flows", documents.DocumentFlowsHandler),
    (rf"/api/documents/{DOC_ID}/seal-uses", seals.SealUsesHandler),
    (rf"/api/documents/{DOC_ID}/verify", seals.VerifyDocumentHandler),
    (rf"/api/documents/{DOC_ID}/archive", archives.ArchiveDocumentHandler),
    (r"/api/archives", archives.ArchivesHandler),
    (r"/api/archives/candidates", archives.CandidatesHandler),
    (r"/api/archives/export", archives.ExportHandler),
    (r"/api/archives/settings", archives.SettingsHandler),
    (rf"/api/archives/{ARCHIVE_ID}", archives.ArchiveHandler),
    (rf"/api/archives/{ARCHIVE_ID}/package\.zip", archives.PackageHandler),
    (rf"/api/archives/{ARCHIVE_ID}/check", archives.CheckHandler),
    (rf"/api/documents/{DOC_ID}/dispatch", exchange.DispatchDocumentHandler),
    (rf"/api/documents/{DOC_ID}/receive-paper", exchange.PaperHandler),
    (rf"/api/dispatches/{DISPATCH_ID}", exchange.DispatchHandler),
    (rf"/api/dispatches/{DISPATCH_ID}/receipts", exchange.BoardHandler),
    (rf"/api/dispatches/{DISPATCH_ID}/tree", exchange.TreeHandler),
    (rf"/api/dispatches/{DISPATCH_ID}/urge", exchange.DispatchUrgeHandler),
    (rf"/api/dispatches/{DISPATCH_ID}/recall", exchange.RecallHandler),
    (r"/api/exchange/inbox", exchange.InboxHandler),
    (r"/api/exchange/sent", exchange.SentHandler),
    (r"/api/exchange/stats", exchange_stats.StatisticsHandler),
    (r"/api/exchange/sign", exchange_desk.BatchSignHandler),
    (r"/api/circulations", exchange_desk.CirculationsHandler),
    (r"/api/supervision", supervision.SupervisionHandler),
    (r"/api/supervision/urge", supervision.SupervisionUrgeHandler),
    (rf"/api/receipts/{RECEIPT_ID}", exchange.ReceiptHandler),
    (rf"/api/receipts/{RECEIPT_ID}/sign", exchange.SignHandler),
    (rf"/api/receipts/{RECEIPT_ID}/return", exchange.ReturnHandler),
    (rf"/api/receipts/{RECEIPT_ID}/register", exchange.RegisterHandler),
    (rf"/api/receipts/{RECEIPT_ID}/forward", exchange.ForwardHandler),
    (rf"/api/receipts/{RECEIPT_ID}/urge", exchange.ReceiptUrgeHandler),
    (rf"/api/receipts/{RECEIPT_ID}/acknowledge-recall", exchange.AcknowledgeRecallHandler),
    (rf"/api/receipts/{RECEIPT_ID}/opinion", exchange.OpinionHandler),
    (rf"/api/receipts/{RECEIPT_ID}/reply", exchange.ReplyHandler),
    (rf"/api/receipts/{RECEIPT_ID}/circulate", exchange_desk.CirculateHandler),
    (r"/api/recipient-groups", exchange_stats.RecipientGroupsHandler),
    (rf"/api/recipient-groups/{GROUP_ID}", exchange_stats.RecipientGroupHandler),
    (r"/api/recipients/resolve", exchange_stats.ResolveRecipientsHandler),
    (r"/api/flows", flows.FlowsHandler),
    (rf"/api/flows/{FLOW_KEY}", flows.FlowHandler),
    (rf"/api/flows/{FLOW_KEY}/claim", flows.ClaimHandler),
    (r"/api/calendar", flows.CalendarHandler),
    (r"/api/calendar/days", calendar.CalendarDaysHandler),
    (r"/api/calendar/official", calendar.OfficialHandler),
    (r"/api/calendar/local", calendar.LocalDaysHandler),
    (rf"/api/calendar/local/{UNIT_ID}/(\d{{4}}-\d{{2}}-\d{{2}})", calendar.LocalDayHandler),
    (r"/api/instances", instances.InstancesHandler),
    (rf"/api/instances/{INSTANCE_ID}", instances.InstanceHandler),
    (rf"/api/instances/{INSTANCE_ID}/signatures/([0-9a-f]{{64}})\.png", instances.SignatureHandler),
    (rf"/api/instances/{INSTANCE_ID}/annotations/([0-9a-f]{{64}})\.png", instances.AnnotationHandler),
    (rf"/api/instances/{INSTANCE_ID}/urge", instances.UrgeHandler),
    (rf"/api/instances/{INSTANCE_ID}/terminate", instances.TerminateHandler),
    (r"/api/tasks", tasks.TasksHandler),
    (rf"/api/tasks/{TASK_ID}", tasks.TaskHandler),
    (rf"/api/tasks/{TASK_ID}/(?:approve|submit|read)", tasks.ApproveHandler),
    (rf"/api/tasks/{TASK_ID}/disagree", tasks.DisagreeHandler),
    (rf"/api/tasks/{TASK_ID}/return", tasks.ReturnHandler),
    (rf"/api/tasks/{TASK_ID}/return-targets", tasks.ReturnTargetsHandler),
    (rf"/api/tasks/{TASK_ID}/transfer", tasks.TransferHandler),
    (rf"/api/tasks/{TASK_ID}/add-signers", tasks.AddSignersHandler),
    (rf"/api/tasks/{TASK_ID}/withdraw", tasks.WithdrawHandler),
    (r"/api/delegations", delegations.DelegationsHandler),
    (r"/api/delegations/(dg-[0-9a-f]{16})/revoke", delegations.RevokeDelegationHandler),
    (r"/api/search", search.SearchHandler),
    (r"/auth/oidc/login", OidcLoginHandler),
    (CALLBACK_PATH, OidcCallbackHandler),
    (r"/api/notifications", notifications.NotificationsHandler),
    (r"/api/notifications/unread", notifications.UnreadHandler),
    (r"/api/notifications/read", notifications.ReadHandler),
    (r"/api/notifications/settings", notifications.SettingsHandler),
    (r"/api/notifications/sends", notifications.SendsHandler),
    (r"/api/webpush/key", notifications.WebPushKeyHandler),
    (r"/api/webpush/subscriptions", notifications.WebPushSubscriptionsHandler),
    (r"/api/webpush/subscriptions/remove", notifications.WebPushUnsubscribeHandler),
    (r"/api/openapi\.json", openapi.OpenAPIHandler),
    (r"/api/.*", NotFoundHandler),
    (r"/", pages.PageHandler, {"title": "公文流转 · 移动办公", "script": "mobile.js", "body_class": "mobile"}),
    (r"/desk", pages.PageHandler, {"title": "公文流转 · 办公桌面", "script": "desk.js", "body_class": "desk"}),
    (r"/admin", pages.PageHandler, {"title": "公文流转 · 管理", "script": "admin.js", "body_class": "desk"}),
    (r"/sw\.js", pages.ServiceWorkerHandler),
    (r"/static/(.*)", pages.StaticHandler, {"path": str(pages.STATIC_DIR)}),
]


def make_app(services: Services, **extra: Any) -> tornado.web.Application:
    metrics = Metrics(services)
    return tornado.web.Application(
        ROUTES,
        services=services,
        metrics=metrics,
        log_function=metrics.log_request,
        session_watch=SessionWatch(services.sessions),  # this app's push sockets by login session
        # The unified identity platform's client (its discovery and keys cached), when one is configured.
        oidc=OidcClient(services.settings) if services.settings.oidc_enabled else None,
        sms_login=sms_login(services),
        xsrf_cookies=False,  # CSRF is checked per session in BaseHandler.prepare
        compress_response=True,
        websocket_ping_interval=PING_INTERVAL_S,
        websocket_ping_timeout=PING_TIMEOUT_S,
        **extra,
    )


def sms_login(services: Services) -> SmsLogin | None:
    """短信验证码登录, when an SMS provider and a login template are configured."""
    settings = services.settings
    sender = sms_sender(settings)
    if sender is None or not settings.sms_template_login:
        return None
    return SmsLogin(services.mongo, services.users, services.sessions, sender, settings.sms_template_login,
                    timedelta(minutes=settings.sms_code_minutes))
