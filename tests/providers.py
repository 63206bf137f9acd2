"""Local stand-ins for the outside services notifications go to, speaking their documented APIs.

Each is a real HTTP server on a free port (Tornado, in the test's event loop) that checks requests the
way the provider does (signatures, tokens, required fields) and answers in the provider's shapes,
including its error replies; `fail_next` makes the next requests fail with a provider error, so a
retry is exercised for real. What was accepted is kept in `received`.
"""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from typing import Any, ClassVar

import tornado.httpserver
import tornado.web

from storage.local import free_port


def aliyun_reference_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Aliyun's documented recipe (RPC signature 1.0), written independently of the product's."""
    def encode(value: str) -> str:
        return urllib.parse.quote_plus(value).replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    canonical = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    to_sign = method + "&" + encode("/") + "&" + encode(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class AliyunSmsService:
    """dysms SendSms (version 2017-05-25) as the provider documents it."""

    access_key_id = "LTAI-test-key"
    access_key_secret = "test-secret-不外传"
    sign_name = "某市政府办公室"
    templates: ClassVar[dict[str, set[str]]] = {"SMS_900001": {"kind", "title"}, "SMS_900002": {"code"}}

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next: list[tuple[str, str]] = []  # (Code, Message) answered before accepting again
        self.nonces: set[str] = set()

    def answer(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        request_id = f"req-{len(self.nonces)}"
        signature = query.pop("Signature", "")
        if query.get("AccessKeyId") != self.access_key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                         "RequestId": request_id}
        if signature != aliyun_reference_signature(query, self.access_key_secret):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched",
                         "RequestId": request_id}
        nonce = query.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return 400, {"Code": "SignatureNonceUsed", "Message": "The request signature nonce has been used.",
                         "RequestId": request_id}
        self.nonces.add(nonce)
        for required in ("Action", "Version", "Timestamp", "SignatureMethod", "SignatureVersion", "PhoneNumbers",
                         "SignName", "TemplateCode"):
            if not query.get(required):
                return 400, {"Code": "MissingParameter", "Message": f"{required} is mandatory",
                             "RequestId": request_id}
        if (query["Action"], query["Version"], query["SignatureMethod"]) != ("SendSms", "2017-05-25", "HMAC-SHA1"):
            return 400, {"Code": "InvalidParameter", "Message": "Action/Version", "RequestId": request_id}
        if query["SignName"] != self.sign_name:
            return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "该账号下找不到对应签名",
                         "RequestId": request_id}
        wanted = self.templates.get(query["TemplateCode"])
        if wanted is None:
            return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板",
                         "RequestId": request_id}
        params = json.loads(query.get("TemplateParam") or "{}")
        if set(params) != wanted:
            return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板变量缺少对应参数值",
                         "RequestId": request_id}
        if not query["PhoneNumbers"].isdigit() or len(query["PhoneNumbers"]) != 11:
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
        if self.fail_next:
            code, message = self.fail_next.pop(0)
            return 200, {"Code": code, "Message": message, "RequestId": request_id}
        self.received.append({"mobile": query["PhoneNumbers"], "template": query["TemplateCode"],
                              "params": params, "sign_name": query["SignName"]})
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.received)}", "RequestId": request_id}


class _AliyunHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        service: AliyunSmsService = self.settings["service"]
        query = {key: self.get_query_argument(key) for key in self.request.query_arguments}
        status, body = service.answer(query)
        self.set_status(status)
        self.finish(body)


@contextmanager
def serving(routes: list[tuple[str, type[tornado.web.RequestHandler]]], service: Any) -> Iterator[str]:
    """The routes on a free local port for the duration; yields the base URL."""
    port = free_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application(routes, service=service))
    server.listen(port, "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def aliyun_sms() -> Iterator[tuple[AliyunSmsService, str]]:
    service = AliyunSmsService()
    with serving([(r"/", _AliyunHandler)], service) as base:
        yield service, base + "/"


class SmtpInbox:
    """A local SMTP server (aiosmtpd, in its own thread) that keeps every message it accepts.
    `refuse_next` answers the next DATA commands with a temporary failure (451), as a busy server does."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse_next = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "subject": message["Subject"],
                              "text": message.get_content()})
        return "250 OK"


@contextmanager
def smtp_inbox() -> Iterator[tuple[SmtpInbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class PushService:
    """A Web Push service endpoint (RFC 8030): takes encrypted messages POSTed to /push/<id>, checks the
    VAPID authorization (RFC 8292), and keeps body and headers. `fail_next` answers 503 first."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.base = ""


class _PushHandler(tornado.web.RequestHandler):
    def post(self, subscription: str) -> None:
        service: PushService = self.settings["service"]
        if service.fail_next:
            service.fail_next -= 1
            self.set_status(503)
            self.finish("busy")
            return
        service.received.append({"subscription": subscription, "headers": dict(self.request.headers),
                                  "body": self.request.body})
        self.set_status(201)
        self.set_header("Location", f"/message/{len(service.received)}")
        self.finish()


@contextmanager
def push_service() -> Iterator[PushService]:
    service = PushService()
    with serving([(r"/push/([A-Za-z0-9_-]+)", _PushHandler)], service) as base:
        service.base = base
        yield service


class MessengerService:
    """企业微信 (`/cgi-bin/gettoken`, `/cgi-bin/message/send`) or 钉钉 (`/gettoken`,
    `/topapi/message/corpconversation/asyncsend_v2`), answering with their documented errcodes."""

    def __init__(self, kind: str, key: str, secret: str, agent_id: int, users: set[str]) -> None:
        self.kind, self.key, self.secret, self.agent_id, self.users = kind, key, secret, agent_id, users
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.received: list[dict[str, Any]] = []
        self.fail_next: list[tuple[int, str]] = []
        self.base = ""

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def token(self, key: str | None, secret: str | None) -> dict[str, Any]:
        self.token_requests += 1
        if key != self.key:
            return {"errcode": 40013, "errmsg": "invalid corpid"} if self.kind == "wecom" else \
                {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
        if secret != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"} if self.kind == "wecom" else \
                {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
        token = f"tok-{self.token_requests}-{self.kind}"
        self.tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def send(self, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if token not in self.tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if self.fail_next:
            code, message = self.fail_next.pop(0)
            return {"errcode": code, "errmsg": message}
        if self.kind == "wecom":
            if body.get("agentid") != self.agent_id:
                return {"errcode": 40056, "errmsg": "invalid agentid"}
            kind = body.get("msgtype")
            content = body.get(kind) if kind in ("text", "textcard") else None
            if not isinstance(content, dict) or (kind == "textcard" and not all(
                    content.get(field) for field in ("title", "description", "url"))):
                return {"errcode": 44004, "errmsg": "empty content"}
            users = str(body.get("touser", "")).split("|")
            bad = [user for user in users if user not in self.users]
            if len(bad) == len(users):
                return {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
            self.received.append({"to": [user for user in users if user not in bad], "type": kind, **content})
            return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(bad), "msgid": f"m{len(self.received)}"}
        if body.get("agent_id") != self.agent_id:
            return {"errcode": 400017, "errmsg": "agent_id不合法"}
        msg = body.get("msg") or {}
        kind = msg.get("msgtype")
        content = msg.get(kind) if kind in ("text", "action_card") else None
        if not isinstance(content, dict) or (kind == "action_card" and not all(
                content.get(field) for field in ("title", "markdown", "single_title", "single_url"))):
            return {"errcode": 40035, "errmsg": "缺少参数 msg"}
        users = [user for user in str(body.get("userid_list", "")).split(",") if user]
        if not users:
            return {"errcode": 40035, "errmsg": "缺少参数 userid_list"}
        # 钉钉 takes the message and drops unknown users later (its task result says so); known ones are kept.
        self.received.append({"to": [user for user in users if user in self.users], "type": kind, **content})
        return {"errcode": 0, "errmsg": "ok", "task_id": len(self.received), "request_id": f"r{len(self.received)}"}


class _TokenHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        service: MessengerService = self.settings["service"]
        if service.kind == "wecom":
            self.finish(service.token(self.get_query_argument("corpid", None),
                                      self.get_query_argument("corpsecret", None)))
        else:
            self.finish(service.token(self.get_query_argument("appkey", None),
                                      self.get_query_argument("appsecret", None)))


class _MessageHandler(tornado.web.RequestHandler):
    def post(self) -> None:
        service: MessengerService = self.settings["service"]
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self.finish({"errcode": 47001, "errmsg": "data format error"})
            return
        self.finish(service.send(self.get_query_argument("access_token", None), body))


@contextmanager
def wecom(users: set[str]) -> Iterator[MessengerService]:
    service = MessengerService("wecom", "ww-corp-test", "wecom-secret", 1000002, users)
    with serving([(r"/cgi-bin/gettoken", _TokenHandler), (r"/cgi-bin/message/send", _MessageHandler)],
                 service) as base:
        service.base = base
        yield service


@contextmanager
def dingtalk(users: set[str]) -> Iterator[MessengerService]:
    service = MessengerService("dingtalk", "ding-app-key", "ding-app-secret", 2788001, users)
    with serving([(r"/gettoken", _TokenHandler),
                  (r"/topapi/message/corpconversation/asyncsend_v2", _MessageHandler)], service) as base:
        service.base = base
        yield service
