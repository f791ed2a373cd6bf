"""The workspace in a real browser (Debian's Chromium via Playwright) against `escalade serve`
with the demo company: sign in, work the queue, reply, escalate, acknowledge, and watch the
supervisor board update live over its WebSocket — without a reload."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.browser import api_client, redis_url_or_skip, wait_until_live

pytestmark = [pytest.mark.browser]


# Draw a CJK character and a character no font has (U+10FFFD, always a "tofu" box): with a CJK
# font installed their pixels differ.
CJK_GLYPHS_DRAWN = """() => {
  const draw = (text) => {
    const canvas = document.createElement("canvas");
    canvas.width = 40; canvas.height = 40;
    const context = canvas.getContext("2d");
    context.font = '32px "Noto Sans CJK SC", sans-serif';
    context.fillText(text, 2, 32);
    return context.getImageData(0, 0, 40, 40).data.join(",");
  };
  return draw("队") !== draw("\\u{10FFFD}") && draw("队") !== draw("列");
}"""


def cjk_font_installed() -> bool:
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True)
    return bool(found.stdout.strip())


def mark_page(page) -> None:
    """A flag that a reload or navigation would wipe: proves an update came without one."""
    page.evaluate("window.__noReload = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__noReload === true")


def ticket_link(page, subject: str):
    return page.locator("#queue-table td.subject a", has_text=subject)


def test_an_agent_replies_and_escalates_to_billing_and_the_board_updates_live(
    demo_server, browsers
):
    henrik = browsers.sign_in(demo_server, "henrik")
    henrik.goto(f"{demo_server.url}/board/")
    wait_until_live(henrik)
    mark_page(henrik)
    assert "Giriş sorunu" not in henrik.locator("#board-recent").inner_text()

    ayse = browsers.sign_in(demo_server, "ayse")  # works in Turkish
    assert ayse.locator("html").get_attribute("lang") == "tr"
    ticket_link(ayse, "Giriş sorunu").click()
    ayse.wait_for_url(re.compile(r".*/tickets/\d+/$"))
    number = re.search(r"/tickets/(\d+)/", ayse.url).group(1)

    ayse.fill("#reply-body", "Merhaba Ayşe Hanım, ödeme kaydınızı kontrol ediyoruz.")
    ayse.click("#reply-send")
    ayse.wait_for_load_state()
    assert ayse.locator(".flash li.success").count() == 1
    assert "ödeme kaydınızı kontrol ediyoruz" in ayse.locator(".thread").inner_text()

    ayse.click("#escalate-open")
    dialog = ayse.locator("#escalate-dialog")
    assert dialog.is_visible()
    dialog.locator("input[name=mode][value=functional]").check()
    dialog.locator("#esc-team").select_option("billing-l1")
    dialog.locator("#escalate-submit").click()
    # The reason is required: the browser keeps the dialog open until it is given.
    assert dialog.is_visible()
    dialog.locator("#esc-reason").fill("payment captured twice")
    dialog.locator("#escalate-submit").click()
    ayse.wait_for_load_state()
    assert "Billing L1" in ayse.locator(".flash li.success").inner_text()
    assert "Billing L1" in ayse.locator(".ticket-head .meta").inner_text()
    assert "payment captured twice" in ayse.locator("#esc-title + .timeline").inner_text()

    # The supervisor's board shows it without a reload.
    recent = henrik.locator("#board-recent")
    recent.locator(f"[data-ticket='{number}']").wait_for()
    assert "payment captured twice" in recent.inner_text()
    assert not_reloaded(henrik)


def test_a_hierarchical_escalation_is_acknowledged_by_its_receiver_live_on_the_board(
    demo_server, browsers
):
    sofia = browsers.sign_in(demo_server, "sofia")
    sofia.goto(f"{demo_server.url}/board/")
    wait_until_live(sofia)
    mark_page(sofia)

    nora = browsers.sign_in(demo_server, "nora")
    ticket_link(nora, "Dobbel belastning").click()
    nora.wait_for_url(re.compile(r".*/tickets/\d+/$"))
    number = re.search(r"/tickets/(\d+)/", nora.url).group(1)
    nora.keyboard.press("e")  # the escalate shortcut
    dialog = nora.locator("#escalate-dialog")
    dialog.wait_for(state="visible")
    dialog.locator("input[name=mode][value=hierarchical]").check()
    dialog.locator("input[name=to][value=next_level]").check()
    dialog.locator("#esc-reason").fill("refund over 10 000 NOK needs level 2")
    dialog.locator("#escalate-submit").click()
    nora.wait_for_load_state()
    banner = nora.locator(".ack-banner")
    assert "refund over 10 000 NOK" in banner.inner_text()
    assert nora.locator("#acknowledge").count() == 0  # nora sent it; it is not hers to take
    username = banner.get_attribute("data-to")
    assert username in ("jonas", "valentina")  # Billing L2

    waiting = sofia.locator("#board-awaiting")
    waiting.locator(f"[data-ticket='{number}']").wait_for()
    assert "refund over 10 000 NOK" in waiting.inner_text()

    receiver_page = browsers.sign_in(demo_server, username)
    notifications = receiver_page.locator("#notification-badge")
    assert int(notifications.get_attribute("data-unread")) >= 1
    receiver_page.goto(f"{demo_server.url}/tickets/{number}/")
    receiver_page.click("#acknowledge")
    receiver_page.wait_for_load_state()
    assert receiver_page.locator(".flash li.success").count() == 1
    assert receiver_page.locator(".ack-banner").count() == 0

    waiting.locator(f"[data-ticket='{number}']").wait_for(state="detached")
    assert not_reloaded(sofia)


def test_switching_the_language_to_polish_and_chinese_translates_the_workspace(
    demo_server, browsers
):
    page = browsers.sign_in(demo_server, "sam")

    def switch(code: str) -> None:
        page.click(".usermenu summary")
        page.select_option("#pref-language", code)
        page.click("#pref-save")
        page.wait_for_load_state()

    switch("pl")
    assert page.locator("html").get_attribute("lang") == "pl"
    nav = page.locator(".mainnav").inner_text()
    assert "Kolejka" in nav
    assert "Powiadomienia" in nav
    assert page.locator("h1").inner_text() == "Moje"
    assert "Szukaj" in page.locator("#queue-filters").inner_text()

    switch("zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "队列" in page.locator(".mainnav").inner_text()
    assert "通知" in page.locator(".mainnav").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", page.locator("#queue-filters").inner_text())
    # The page asks for CJK fonts in Chinese, and one is installed to draw the glyphs.
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Noto Sans CJK SC" in family
    if cjk_font_installed():
        assert page.evaluate(CJK_GLYPHS_DRAWN)
    elif os.environ.get("CI") == "true":
        pytest.fail("no CJK font installed (Debian: fonts-noto-cjk)")
    switch("en")
    assert "Queue" in page.locator(".mainnav").inner_text()


def test_keyboard_shortcuts_and_a_bulk_action_in_the_queue(demo_server, browsers):
    page = browsers.sign_in(demo_server, "sam")
    page.goto(f"{demo_server.url}/queue/?view=all&channel=email")
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    first = page.locator("#queue-table tr.ticket-row.current")
    assert first.count() == 1
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("#bulk-count").inner_text() == "2 selected"
    page.select_option("#bulk-action", "priority")
    assert page.locator("#bulk-priority").is_visible()
    assert not page.locator("#bulk-reason").is_visible()
    page.select_option("#bulk-priority", "urgent")
    page.click("#bulk-apply")
    page.wait_for_load_state()
    assert "2 tickets updated." in page.locator(".flash").inner_text()

    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


def test_the_redis_channel_layer_carries_an_api_escalation_to_a_board_on_another_process(
    tmp_path_factory, browsers
):
    """Two server processes share the database and a Redis channel layer: an escalation made
    through the API on one appears on the board served by the other."""
    redis = redis_url_or_skip()
    from tests.browser import make_installation

    installation = make_installation(tmp_path_factory.mktemp("redis-home"))
    try:
        layer = {"ESCALADE_REDIS_URL": f"{redis}/{9 + os.getpid() % 6}"}
        api_side = installation.serve(**layer)
        board_side = installation.serve(**layer)

        board = browsers.sign_in(board_side, "sofia")
        board.goto(f"{board_side.url}/board/")
        wait_until_live(board)
        mark_page(board)

        api = api_client(api_side, "wei")
        listing = api.get("/api/v1/tickets", params={"team": "support-zh", "status": "open"})
        assert listing.json()["items"], listing.text
        number = listing.json()["items"][0]["id"]
        escalated = api.post(
            f"/api/v1/tickets/{number}/escalate",
            json={"to": "team", "team": "tech-l2", "reason": "API error, not a label problem"},
        )
        assert escalated.status_code == 201, escalated.text

        recent = board.locator("#board-recent")
        recent.locator(f"[data-ticket='{number}']").wait_for()
        assert "API error, not a label problem" in recent.inner_text()
        assert not_reloaded(board)
    finally:
        installation.close()
