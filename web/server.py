"""Running the HTTP service until SIGINT/SIGTERM, then shutting everything down in order."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

import tornado.httpserver

from oa.rendering import fonts, title_breaks
from web.app import make_app
from web.collector import CollectorPacer
from web.config import Settings
from web.runtime import Runtime
from web.services import Endpoints, Services

log = logging.getLogger("oa.server")

BeforeListen = Callable[[Services], Awaitable[None]]
FILE_SWEEP_INTERVAL_S = 3600


async def sweep_unreferenced_files(services: Services, interval_s: float = FILE_SWEEP_INTERVAL_S) -> None:
    """Remove stored attachment files no document refers to any more (left by crashes or races).

    Removal on detach handles the usual case; this catches the rest. Several replicas may sweep
    at once: each file is claimed before it is deleted, so they never fight.
    """
    while True:
        await asyncio.sleep(interval_s)
        try:
            removed = await services.attachments.collect_garbage()
            if removed:
                log.info("removed %d unreferenced attachment files", removed)
        except Exception:  # a store outage must not end the sweeper; the next round retries
            log.exception("attachment file sweep failed")


async def serve_until_stopped(settings: Settings, endpoints: Endpoints,
                              before_listen: BeforeListen | None = None) -> None:
    # Full collections are paced from before start-up: loading the org directory makes tens of thousands
    # of people's objects, and automatic full collections walked them again and again while it did (~1.5 s
    # of a 66,000-person load). Once loaded they live as long as the process; they are collected once and
    # frozen, and no round walks all of them mid-push.
    collector = CollectorPacer()
    collector.start()
    services = await Services.open(settings, endpoints)
    try:
        if before_listen is not None:
            await before_listen(services)
        collector.collect_now()
        pacing = asyncio.create_task(collector.run_forever())
        # Word lists (~1 s) and the PDF's faces (~0.6 s) loaded off the first render.
        fonts.configure(settings.font_dir)
        warming = asyncio.create_task(asyncio.to_thread(lambda: (title_breaks.warm_up(), fonts.warm_up())))
        server = tornado.httpserver.HTTPServer(make_app(services), xheaders=settings.trust_proxy)
        server.listen(settings.port, settings.host)
        log.info("oa is listening on http://%s:%s/ (health: /api/health)", settings.host, settings.port)
        sweeper = asyncio.create_task(sweep_unreferenced_files(services))
        # Finish automatic flow steps a stopped process left behind, then keep deadlines.
        await services.flows.resume_pending()
        await services.dispatches.resume_unfinished()  # a dispatch a stopped process left half-delivered
        deadlines = asyncio.create_task(services.deadlines.run_forever(settings.deadline_check_seconds))
        anchoring = asyncio.create_task(services.anchors.run_forever())  # one replica, by lease, once a day
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("stopping")
        sweeper.cancel()
        deadlines.cancel()
        anchoring.cancel()
        pacing.cancel()
        warming.cancel()
        server.stop()
        await server.close_all_connections()
    finally:
        await services.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(settings: Settings, before_listen: BeforeListen | None = None) -> None:
    """Start the embedded servers if needed, serve, and always stop the children on the way out."""
    # Until the event loop takes over SIGTERM, turn it into the same orderly exit as Ctrl-C,
    # so a service stopped while it is still starting also stops its servers and cleans up.
    signal.signal(signal.SIGTERM, _interrupt)
    runtime = Runtime(settings)
    try:
        endpoints = runtime.start()
        asyncio.run(serve_until_stopped(settings, endpoints, before_listen))
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        log.info("stopped")
