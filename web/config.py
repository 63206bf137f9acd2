"""Typed configuration: every setting with its environment variable, default and help, validated at start-up.

Settings come from `OA_*` environment variables and may be overridden by command-line flags;
they reach handlers through the application's settings, never through module globals.
Secrets are never printed: `Settings.describe()` masks them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting has a value the service cannot use; the message names the variable."""


def _setting(env: str, default: Any, help: str, secret: bool = False) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = _setting("OA_DATA_DIR", Path("./var"),
                              "Directory for the embedded servers' data, logs, S3 keys and demo-users.csv.")
    host: str = _setting("OA_HOST", "127.0.0.1", "Address the HTTP server binds to (0.0.0.0 in containers).")
    port: int = _setting("OA_PORT", 8800, "HTTP port.")
    mongodb_uri: str | None = _setting(
        "OA_MONGODB_URI", None,
        "MongoDB replica set URI. Unset: start the embedded MongoDB-compatible server (secantusd-py).", secret=True)
    mongodb_db: str = _setting("OA_MONGODB_DB", "oa", "Database name.")
    s3_endpoint: str | None = _setting(
        "OA_S3_ENDPOINT", None, "S3/MinIO endpoint host:port. Unset: start the embedded JuiceFS S3 gateway.")
    s3_access_key: str | None = _setting("OA_S3_ACCESS_KEY", None, "S3 access key (required with OA_S3_ENDPOINT).")
    s3_secret_key: str | None = _setting("OA_S3_SECRET_KEY", None, "S3 secret key (required with OA_S3_ENDPOINT).",
                                         secret=True)
    s3_bucket: str = _setting("OA_S3_BUCKET", "oa-files", "Bucket for attachments and rendered documents.")
    s3_secure: bool = _setting("OA_S3_SECURE", False, "Use HTTPS to reach S3 (true/false).")
    s3_public_url: str | None = _setting(
        "OA_S3_PUBLIC_URL", None,
        "Where phones and browsers reach the object store for downloads (e.g. https://oa.example.cn/files), "
        "if not at the endpoint the service uses; presigned links are signed for its host, and a path "
        "prefix goes in front of the signed path (the proxy strips it and keeps the Host header).")
    session_hours: int = _setting("OA_SESSION_HOURS", 12, "Lifetime of a login session, in hours.")
    cookie_secure: bool = _setting("OA_COOKIE_SECURE", False,
                                   "Mark the session cookie Secure (set true behind HTTPS).")
    trust_proxy: bool = _setting("OA_TRUST_PROXY", False,
                                 "Take the client address from X-Forwarded-For / X-Real-Ip (behind a load balancer).")
    login_max_failures: int = _setting("OA_LOGIN_MAX_FAILURES", 5,
                                       "Failed logins per account before it is throttled.")
    login_max_failures_per_address: int = _setting("OA_LOGIN_MAX_FAILURES_PER_ADDRESS", 20,
                                                   "Failed logins per client address before it is throttled.")
    login_window_minutes: int = _setting("OA_LOGIN_WINDOW_MINUTES", 15, "Throttling window, in minutes.")
    login_lockout_minutes: int = _setting(
        "OA_LOGIN_LOCKOUT_MINUTES", 15,
        "How long an account stays locked after OA_LOGIN_MAX_FAILURES failed logins, in minutes (it then unlocks "
        "by itself; an administrator may unlock it sooner).")
    metrics_token: str | None = _setting(
        "OA_METRICS_TOKEN", None, "If set, GET /metrics needs it as a bearer token (Prometheus's bearer_token).",
        secret=True)
    log_format: str = _setting("OA_LOG_FORMAT", "text",
                               "Log lines as `text` or `json` (one JSON object per line, with the request id).")
    password_max_age_days: int = _setting(
        "OA_PASSWORD_MAX_AGE_DAYS", 90,
        "Days a password lasts; then the next login asks for a new one (0: passwords never expire).")
    password_history: int = _setting("OA_PASSWORD_HISTORY", 5,
                                     "How many of a person's latest passwords may not be chosen again.")
    oidc_issuer: str | None = _setting(
        "OA_OIDC_ISSUER", None,
        "Issuer URL of the province's unified identity platform (OpenID Connect; its discovery document is at "
        "ISSUER/.well-known/openid-configuration). Unset: no 统一身份认证登录 on the login page.")
    oidc_client_id: str | None = _setting("OA_OIDC_CLIENT_ID", None,
                                          "Client id this service is registered with at the platform.")
    oidc_client_secret: str | None = _setting("OA_OIDC_CLIENT_SECRET", None,
                                              "Client secret for the platform's token endpoint.", secret=True)
    oidc_redirect_url: str | None = _setting(
        "OA_OIDC_REDIRECT_URL", None,
        "The callback registered at the platform, e.g. https://oa.example.cn/auth/oidc/callback. Unset: built "
        "from the address the browser used.")
    oidc_claim: str = _setting("OA_OIDC_CLAIM", "preferred_username",
                               "ID-token claim that names the person (e.g. sub, preferred_username, phone_number).")
    oidc_match: str = _setting("OA_OIDC_MATCH", "username",
                               "Which field of a person the claim must equal: username or mobile. Nobody matching: "
                               "the login is refused (people are never created from the platform).")
    oidc_scopes: str = _setting("OA_OIDC_SCOPES", "openid profile", "Scopes asked for (openid is required).")
    oidc_label: str = _setting("OA_OIDC_LABEL", "统一身份认证登录", "Text of the platform's button on the login page.")
    max_attachment_mb: int = _setting("OA_MAX_ATTACHMENT_MB", 200,
                                      "Largest attachment accepted, in MB; larger uploads get 413 and nothing is kept.")
    download_url_minutes: int = _setting("OA_DOWNLOAD_URL_MINUTES", 5,
                                         "How long a presigned attachment download URL stays valid, in minutes.")
    urge_interval_minutes: int = _setting("OA_URGE_INTERVAL_MINUTES", 30,
                                          "Minimum time between two 催办 of the same task, in minutes.")
    deadline_check_seconds: int = _setting("OA_DEADLINE_CHECK_SECONDS", 60,
                                           "How often overdue tasks are looked for (reminders, escalation).")
    startup_timeout: int = _setting("OA_STARTUP_TIMEOUT", 60,
                                    "Seconds to wait for each embedded server (or the database) to answer.")
    log_level: str = _setting("OA_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING or ERROR.")
    seal_secret: str | None = _setting(
        "OA_SEAL_SECRET", None,
        "Secret the seals' private keys are encrypted with at rest (AES-256-GCM, key derived by HKDF; at least "
        "16 characters; every replica needs the same). Unset: generated once into DATA_DIR/seal-secret.",
        secret=True)
    seal_auto_issue: bool = _setting(
        "OA_SEAL_AUTO_ISSUE", True,
        "Give a unit that never had a seal one drawn and issued by the service's own CA when it first seals "
        "(true/false; false: an admin registers every seal first).")
    seal_signer: str | None = _setting(
        "OA_SEAL_SIGNER", None,
        "Signing backend as package.module:factory (e.g. an SM2 seal service's adapter). Unset: the built-in "
        "pyHanko PAdES signer.")
    seal_trust_roots: str | None = _setting(
        "OA_SEAL_TRUST_ROOTS", None,
        "PEM file of further CA certificates seals may chain to (the CA of imported PKCS#12 seals), besides the "
        "service's own CA.")
    prefill_holidays: bool = _setting(
        "OA_PREFILL_HOLIDAYS", True,
        "At start, store the State Council's holidays and 调休 workdays of this year and the next from the "
        "chinese-calendar package when the working calendar lacks them (true/false).")
    tsa_url: str | None = _setting(
        "OA_TSA_URL", None, "RFC 3161 time-stamping service URL; when set, every seal signature is timestamped.")
    audit_hash: str = _setting(
        "OA_AUDIT_HASH", "sha256",
        "Hash of new audit-chain links: sha256 or sm3 (GB/T 32905). Each link names its own, so a chain may mix.")
    audit_anchor_bucket: str | None = _setting(
        "OA_AUDIT_ANCHOR_BUCKET", None,
        "Bucket the daily audit anchors go to, made with S3 object lock where the store has it (MinIO). "
        "Unset: OA_S3_BUCKET followed by -audit.")
    audit_anchor_retain_days: int = _setting(
        "OA_AUDIT_ANCHOR_RETAIN_DAYS", 3650, "How long each audit anchor is retained (object lock) where it can be.")
    audit_anchor_lock_mode: str = _setting(
        "OA_AUDIT_ANCHOR_LOCK_MODE", "COMPLIANCE",
        "Object-lock mode of audit anchors: COMPLIANCE (nobody may delete them early) or GOVERNANCE.")
    font_dir: str | None = _setting(
        "OA_FONT_DIR", None,
        "Folder with the official TrueType fonts (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, 宋体), found by "
        "the family names inside the files. Unset or missing a face: open Debian faces stand in, and the PDF's "
        "metadata says so.")
    public_url: str | None = _setting(
        "OA_PUBLIC_URL", None,
        "The service's address as people open it (e.g. https://oa.example.gov.cn); links in e-mails, messenger "
        "and push notifications point there. Unset: messages carry no link.")
    sms_provider: str | None = _setting(
        "OA_SMS_PROVIDER", None, "SMS provider: aliyun (阿里云短信 dysms SendSms). Unset: no SMS is sent.")
    sms_access_key_id: str | None = _setting("OA_SMS_ACCESS_KEY_ID", None, "The SMS provider's AccessKey ID.")
    sms_access_key_secret: str | None = _setting("OA_SMS_ACCESS_KEY_SECRET", None,
                                                 "The SMS provider's AccessKey secret.", secret=True)
    sms_sign_name: str | None = _setting("OA_SMS_SIGN_NAME", None,
                                         "The approved 短信签名 (sign name), e.g. 某某市政府办公室.")
    sms_template_notice: str | None = _setting(
        "OA_SMS_TEMPLATE_NOTICE", None,
        "Approved 模板 code for reminders (e.g. SMS_123456789) with the parameters ${kind} and ${title}. Unset: "
        "reminders are not sent by SMS (other callers pass their own template codes).")
    sms_template_login: str | None = _setting(
        "OA_SMS_TEMPLATE_LOGIN", None,
        "Approved 模板 code for login codes (e.g. SMS_123456790) with the parameter ${code}. Set with OA_SMS_PROVIDER: "
        "the login page offers 短信验证码登录.")
    sms_code_minutes: int = _setting("OA_SMS_CODE_MINUTES", 5, "How long an SMS login code is valid, in minutes.")
    sms_endpoint: str | None = _setting("OA_SMS_ENDPOINT", None,
                                        "SMS API base URL. Unset: the provider's public endpoint.")
    sms_region: str = _setting("OA_SMS_REGION", "cn-hangzhou", "SMS API region.")
    smtp_host: str | None = _setting("OA_SMTP_HOST", None, "SMTP server for e-mail notifications. Unset: no e-mail.")
    smtp_port: int = _setting("OA_SMTP_PORT", 25, "SMTP port (465 with OA_SMTP_SSL, 587 with OA_SMTP_STARTTLS).")
    smtp_user: str | None = _setting("OA_SMTP_USER", None, "SMTP login, if the server asks for one.")
    smtp_password: str | None = _setting("OA_SMTP_PASSWORD", None, "SMTP password.", secret=True)
    smtp_from: str | None = _setting("OA_SMTP_FROM", None,
                                     "Sender address of notification e-mails (required with OA_SMTP_HOST).")
    smtp_ssl: bool = _setting("OA_SMTP_SSL", False, "Connect with TLS from the start (port 465).")
    smtp_starttls: bool = _setting("OA_SMTP_STARTTLS", False, "Upgrade the connection with STARTTLS (port 587).")
    wecom_corp_id: str | None = _setting("OA_WECOM_CORP_ID", None,
                                         "企业微信/政务微信 corpid. Unset: no 企业微信 messages.")
    wecom_secret: str | None = _setting("OA_WECOM_SECRET", None, "The 企业微信 application's Secret.", secret=True)
    wecom_agent_id: str | None = _setting("OA_WECOM_AGENT_ID", None, "The 企业微信 application's AgentId.")
    wecom_base_url: str = _setting("OA_WECOM_BASE_URL", "https://qyapi.weixin.qq.com",
                                   "企业微信 API base URL (政务微信 and private deployments have their own).")
    dingtalk_app_key: str | None = _setting("OA_DINGTALK_APP_KEY", None,
                                            "钉钉/浙政钉 application AppKey. Unset: no 钉钉 work notices.")
    dingtalk_app_secret: str | None = _setting("OA_DINGTALK_APP_SECRET", None, "The 钉钉 application's AppSecret.",
                                               secret=True)
    dingtalk_agent_id: str | None = _setting("OA_DINGTALK_AGENT_ID", None, "The 钉钉 application's AgentId.")
    dingtalk_base_url: str = _setting("OA_DINGTALK_BASE_URL", "https://oapi.dingtalk.com",
                                      "钉钉 API base URL (浙政钉 and private deployments have their own).")
    vapid_private_key: str | None = _setting(
        "OA_VAPID_PRIVATE_KEY", None,
        "Web Push VAPID private key (base64url of the raw P-256 key). Unset: generated once and kept in the "
        "database, shared by every replica.", secret=True)
    vapid_subject: str = _setting("OA_VAPID_SUBJECT", "mailto:oa-admin@localhost",
                                  "Web Push VAPID contact (mailto: or https:) that push services may write to.")
    webpush_hosts: str = _setting(
        "OA_WEBPUSH_HOSTS", "fcm.googleapis.com,*.push.services.mozilla.com,*.notify.windows.com,*.push.apple.com",
        "Push services a browser subscription may point at (comma-separated host names, * for one or more labels); "
        "the service posts only there, over HTTPS.")
    notify_retries: int = _setting("OA_NOTIFY_RETRIES", 5,
                                   "Attempts per notification and channel before it is given up (with backoff).")
    notify_retry_seconds: float = _setting("OA_NOTIFY_RETRY_SECONDS", 30.0,
                                           "Wait before the first retry of a failed send; doubled for each next one.")
    notify_grace_seconds: float = _setting(
        "OA_NOTIFY_GRACE_SECONDS", 3.0,
        "How long a non-urgent notification waits before going outside the app, so a replica where the person's "
        "app is open can say so (特急 ones go at once).")

    @property
    def embedded_mongodb(self) -> bool:
        return not self.mongodb_uri

    @property
    def embedded_s3(self) -> bool:
        return not self.s3_endpoint

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `OA_*` variables, then apply non-None overrides (command-line flags), then validate."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = environ.get(item.metadata["env"])
            if raw is not None and raw != "":
                values[item.name] = _convert(item.metadata["env"], raw, item.default)
        values.update({key: value for key, value in overrides.items() if value is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"OA_PORT must be between 1 and 65535 (got {self.port})")
        if self.s3_endpoint and not (self.s3_access_key and self.s3_secret_key):
            raise ConfigError("OA_S3_ENDPOINT is set, so OA_S3_ACCESS_KEY and OA_S3_SECRET_KEY are required too")
        if not 3 <= len(self.s3_bucket) <= 63:
            raise ConfigError(f"OA_S3_BUCKET must be 3-63 characters (got {self.s3_bucket!r})")
        for name in ("max_attachment_mb", "download_url_minutes", "session_hours", "login_max_failures",
                     "login_max_failures_per_address", "login_window_minutes", "login_lockout_minutes",
                     "password_history", "sms_code_minutes", "startup_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{_env_of(name)} must be a positive number")
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"OA_LOG_FORMAT must be text or json (got {self.log_format!r})")
        if self.password_max_age_days < 0:
            raise ConfigError("OA_PASSWORD_MAX_AGE_DAYS must be 0 (never) or a positive number of days")
        self._validate_oidc()
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"OA_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {self.log_level!r})")
        if self.seal_secret is not None and len(self.seal_secret.encode()) < 16:
            raise ConfigError("OA_SEAL_SECRET must be at least 16 characters long")
        if self.seal_trust_roots and not Path(self.seal_trust_roots).is_file():
            raise ConfigError(f"OA_SEAL_TRUST_ROOTS names no file ({self.seal_trust_roots!r})")
        if self.font_dir and not Path(self.font_dir).is_dir():
            raise ConfigError(f"OA_FONT_DIR names no folder ({self.font_dir!r})")
        self._validate_channels()
        if self.audit_hash not in ("sha256", "sm3"):
            raise ConfigError(f"OA_AUDIT_HASH must be sha256 or sm3 (got {self.audit_hash!r})")
        if self.audit_anchor_lock_mode not in ("COMPLIANCE", "GOVERNANCE"):
            raise ConfigError(f"OA_AUDIT_ANCHOR_LOCK_MODE must be COMPLIANCE or GOVERNANCE "
                              f"(got {self.audit_anchor_lock_mode!r})")
        if self.audit_anchor_retain_days <= 0:
            raise ConfigError("OA_AUDIT_ANCHOR_RETAIN_DAYS must be a positive number of days")
        if self.tsa_url and not self.tsa_url.startswith(("http://", "https://")):
            raise ConfigError(f"OA_TSA_URL must be an http:// or https:// URL (got {self.tsa_url!r})")

    def _validate_channels(self) -> None:
        if self.sms_provider:
            if self.sms_provider != "aliyun":
                raise ConfigError(f"OA_SMS_PROVIDER must be aliyun (got {self.sms_provider!r})")
            if not (self.sms_access_key_id and self.sms_access_key_secret and self.sms_sign_name):
                raise ConfigError("OA_SMS_PROVIDER is set, so OA_SMS_ACCESS_KEY_ID, OA_SMS_ACCESS_KEY_SECRET and "
                                  "OA_SMS_SIGN_NAME are required too")
        if self.smtp_host and not self.smtp_from:
            raise ConfigError("OA_SMTP_HOST is set, so OA_SMTP_FROM is required too")
        if not 0 < self.smtp_port < 65536:
            raise ConfigError(f"OA_SMTP_PORT must be between 1 and 65535 (got {self.smtp_port})")
        if self.wecom_corp_id and not (self.wecom_secret and self.wecom_agent_id):
            raise ConfigError("OA_WECOM_CORP_ID is set, so OA_WECOM_SECRET and OA_WECOM_AGENT_ID are required too")
        if self.dingtalk_app_key and not (self.dingtalk_app_secret and self.dingtalk_agent_id):
            raise ConfigError("OA_DINGTALK_APP_KEY is set, so OA_DINGTALK_APP_SECRET and OA_DINGTALK_AGENT_ID are "
                              "required too")
        if not self.vapid_subject.startswith(("mailto:", "https://")):
            raise ConfigError(f"OA_VAPID_SUBJECT must start with mailto: or https:// (got {self.vapid_subject!r})")
        if self.notify_retries <= 0:
            raise ConfigError("OA_NOTIFY_RETRIES must be a positive number")
        if self.notify_retry_seconds <= 0 or self.notify_grace_seconds < 0:
            raise ConfigError("OA_NOTIFY_RETRY_SECONDS must be positive and OA_NOTIFY_GRACE_SECONDS not negative")
        for name in ("public_url", "sms_endpoint", "s3_public_url"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://")):
                raise ConfigError(f"{_env_of(name)} must be an http:// or https:// URL (got {value!r})")
        if self.s3_public_url and ("?" in self.s3_public_url or "#" in self.s3_public_url):
            raise ConfigError("OA_S3_PUBLIC_URL is http(s)://host[:port][/prefix], without a query "
                              f"(got {self.s3_public_url!r})")

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    def _validate_oidc(self) -> None:
        if not self.oidc_issuer:
            return
        if not self.oidc_issuer.startswith(("http://", "https://")):
            raise ConfigError(f"OA_OIDC_ISSUER must be an http:// or https:// URL (got {self.oidc_issuer!r})")
        if not self.oidc_client_id:
            raise ConfigError("OA_OIDC_ISSUER is set, so OA_OIDC_CLIENT_ID is required too")
        if self.oidc_match not in ("username", "mobile"):
            raise ConfigError(f"OA_OIDC_MATCH must be username or mobile (got {self.oidc_match!r})")
        if "openid" not in self.oidc_scopes.split():
            raise ConfigError(f"OA_OIDC_SCOPES must include openid (got {self.oidc_scopes!r})")
        if self.oidc_redirect_url and not self.oidc_redirect_url.startswith(("http://", "https://")):
            raise ConfigError(f"OA_OIDC_REDIRECT_URL must be an http(s):// URL (got {self.oidc_redirect_url!r})")

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def describe(self) -> dict[str, str]:
        """Settings for the start-up log, secrets masked."""
        out = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.metadata["env"]] = "***" if item.metadata["secret"] and value else str(value)
        return out


def _env_of(name: str) -> str:
    return next(item.metadata["env"] for item in fields(Settings) if item.name == name)


def _convert(env: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{env} must be true or false (got {raw!r})")
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{env} must be a number (got {raw!r})") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{env} must be an integer (got {raw!r})") from None
    if isinstance(default, Path):
        return Path(raw)
    return raw


def variables_table() -> str:
    """The Markdown table of every variable, for the README."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for item in fields(Settings):
        if item.default is None:
            default = "(unset)"
        elif isinstance(item.default, Path):
            default = f"`./{item.default}`"
        else:
            default = f"`{str(item.default).lower() if isinstance(item.default, bool) else item.default}`"
        lines.append(f"| `{item.metadata['env']}` | {default} | {item.metadata['help']} |")
    return "\n".join(lines)
