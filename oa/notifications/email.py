"""E-mail through an SMTP server (stdlib smtplib, run in an executor so the event loop never waits).

Plain text in UTF-8, with the link to open the item. Temporary refusals (4xx) and unreachable
servers are retryable failures; permanent refusals (5xx, a rejected address) are not.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from oa.errors import DeliveryFailed

TIMEOUT_S = 15


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, user: str | None = None, password: str | None = None,
                 use_ssl: bool = False, starttls: bool = False) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self._password = user, password
        self.use_ssl, self.starttls = use_ssl, starttls

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpSender | None:
        if not getattr(settings, "smtp_host", None):
            return None
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user,
                   settings.smtp_password, settings.smtp_ssl, settings.smtp_starttls)

    async def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[-1])
        message.set_content(text, charset="utf-8")
        await asyncio.get_running_loop().run_in_executor(None, self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> None:
        try:
            connect = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
            with connect(self.host, self.port, timeout=TIMEOUT_S) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self._password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            raise DeliveryFailed(f"邮件: 收件地址被拒收 ({', '.join(refused.recipients)})", retryable=False) from None
        except smtplib.SMTPResponseException as answer:
            raise DeliveryFailed(f"邮件: 服务器答复 {answer.smtp_code} {answer.smtp_error!r}",
                                 retryable=400 <= answer.smtp_code < 500) from None
        except (OSError, smtplib.SMTPException) as failure:
            raise DeliveryFailed(f"邮件: 无法连接 {self.host}:{self.port} ({type(failure).__name__})",
                                 retryable=True) from None

    def __repr__(self) -> str:
        return f"SmtpSender({self.host}:{self.port}, from={self.sender!r})"
