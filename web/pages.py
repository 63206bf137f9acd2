"""The web apps' pages and static files: the phone app at `/`, the clerks' desk at `/desk`, the
admins' pages at `/admin`.

Everything is served from this package (no CDN: the machines have no internet). Pages are plain
HTML shells; the apps call the same JSON API and /ws as any other client. A strict Content
Security Policy allows only our own scripts, styles and connections.
"""

from __future__ import annotations

from pathlib import Path

import tornado.web

STATIC_DIR = Path(__file__).with_name("static")
SHELL = (STATIC_DIR / "shell.html").read_text(encoding="utf-8")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self' ws: wss:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")


def secure_headers(handler: tornado.web.RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", CSP)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "same-origin")


class PageHandler(tornado.web.RequestHandler):
    """One HTML shell for every app; the app's own script fills it."""

    def initialize(self, title: str, script: str, body_class: str) -> None:
        self.page = SHELL.format(title=title, script=script, body_class=body_class).encode()

    def get(self) -> None:
        secure_headers(self)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(self.page)


class ServiceWorkerHandler(tornado.web.RequestHandler):
    """The phone app's service worker at /sw.js: a worker controls only the paths under its own URL."""

    def get(self) -> None:
        secure_headers(self)
        self.set_header("Content-Type", "text/javascript; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache")  # browsers re-check it; an upgrade reaches every phone
        self.finish((STATIC_DIR / "sw.js").read_bytes())


class StaticHandler(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path: str) -> None:
        secure_headers(self)
        self.set_header("Cache-Control", "no-cache")  # small files; always current after an upgrade
