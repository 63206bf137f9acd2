"""Real headless Chromium for the web-app tests (Debian's `chromium`, driven by Playwright), and
screenshots of the main screens saved under `screenshots/` (kept by CI, shown in the README)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, FrameLocator, Page, Playwright, expect

CHROMIUM = os.environ.get("OA_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 860}


async def launch(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


async def new_page(browser: Browser, base_url: str, viewport: dict[str, int]) -> tuple[BrowserContext, Page]:
    """A fresh browser profile (its own cookies), like a different person's device."""
    context = await browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN",
                                        timezone_id="Asia/Shanghai", is_mobile=viewport is PHONE,
                                        has_touch=viewport is PHONE)
    return context, await context.new_page()


async def login(page: Page, path: str, username: str, password: str) -> None:
    await page.goto(path)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


async def pages_shown(page: Page, count: int | None = None) -> int:
    """Waits until the document's page images are drawn (not just placed) and returns how many there are."""
    images = page.locator(".pages img.page")
    await expect(images.first).to_be_visible(timeout=15_000)
    if count is not None:
        await expect(images).to_have_count(count)
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.pages img.page')].slice(0, 1).every(i => i.complete && i.naturalWidth)")
    return await images.count()


async def open_text_version(page: Page) -> FrameLocator:
    """Opens the reflowed text (文字版) under the pages and returns its frame."""
    await page.get_by_text("文字版（可放大阅读）").click()
    return page.frame_locator("iframe.preview")
