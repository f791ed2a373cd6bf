"""The portal in a real browser (Debian's Chromium via Playwright) against `escalade serve` with
the demo company: an Italian customer searches the knowledge base, signs in with the link from
her mail, submits a request with a screenshot, reads the agent's reply (with the article the
agent linked from the reply form), asks for a manager, and rates the help once it is solved."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.processes import ESCALADE

pytestmark = [pytest.mark.browser]

GIULIA = "giulia.rossi@enotecafiorentina.it"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def deliver_mail(server) -> Path:
    """Run the worker once, sending the outbox to files (what `escalade demo` does)."""
    env = {
        **server.env,
        "ESCALADE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    }
    done = subprocess.run(
        [ESCALADE, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return Path(env["ESCALADE_HOME"]) / "sent-mail"


def sign_in_token(server, address: str) -> str:
    folder = deliver_mail(server)
    tokens = []
    for path in sorted(folder.glob("*.log"), key=os.path.getmtime):
        text = path.read_text(encoding="utf-8", errors="replace")
        for mail in text.split("-" * 79):
            if f"To: {address}" in mail:
                tokens += re.findall(r"/portal/signin/([A-Za-z0-9_-]{20,})/", mail)
    assert tokens, f"no sign-in link mailed to {address}"
    return tokens[-1]


def customer_page(browsers, locale: str):
    context = browsers.chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.set_default_timeout(15_000)
    browsers.contexts.append(context)
    page = context.new_page()
    page.on("pageerror", lambda error: browsers.errors.append(f"customer: {error}"))
    browsers.pages["customer"] = page
    return page


def test_a_customer_searches_asks_gets_an_answer_asks_for_a_manager_and_rates_it(
    demo_server, browsers
):
    url = demo_server.url
    giulia = customer_page(browsers, "it-IT")

    # 1. The knowledge base first, in her browser's language.
    giulia.goto(f"{url}/portal/")
    assert giulia.locator("html").get_attribute("lang") == "it"
    giulia.fill("#kb-search", "scaricare fattura")
    giulia.click("#kb-search-go")
    first = giulia.locator("#hits .hit").first
    assert first.get_attribute("data-language") == "it"
    first.locator("a.hit-title").click()
    assert "Come scaricare le fatture" in giulia.locator("#article h1").inner_text()
    giulia.click("#vote-yes")
    assert giulia.locator(".flash li.success").count() == 1

    # 2. Sign in with the link from her mail.
    giulia.click("#nav-signin")
    giulia.fill("#link-email", GIULIA)
    giulia.click("#link-send")
    giulia.locator("#link-sent").wait_for()
    token = sign_in_token(demo_server, GIULIA)
    giulia.goto(f"{url}/portal/signin/{token}/")
    giulia.click("#link-continue")
    giulia.wait_for_url(re.compile(r".*/portal/tickets/$"))

    # 3. A new request: suggestions first, then the form with a screenshot.
    giulia.click("#nav-new")
    giulia.fill("#ask-subject", "Non riesco a scaricare la fattura di ottobre")
    giulia.click("#ask-next")
    giulia.locator("#suggestions").wait_for()
    giulia.click("#not-answered")
    giulia.fill("#t-body", "Il pulsante Scarica PDF non fa nulla, né in Firefox né in Chrome.")
    giulia.select_option("#t-category", "billing")
    giulia.set_input_files(
        "#t-files", files=[{"name": "schermata.png", "mimeType": "image/png", "buffer": PNG}]
    )
    assert giulia.locator("#expected-response").count() == 1
    giulia.click("#ticket-submit")
    giulia.wait_for_url(re.compile(r".*/portal/tickets/\d+/$"))
    number = re.search(r"/portal/tickets/(\d+)/", giulia.url).group(1)
    assert giulia.locator("#expectation").get_attribute("data-state") == "reply_by"
    assert "schermata.png" in giulia.locator("#thread").inner_text()

    # 4. An agent answers and links the article from the reply form.
    agent = browsers.sign_in(demo_server, "giulia")
    agent.goto(f"{url}/tickets/{number}/")
    agent.click("#kb-picker summary")
    agent.fill("#kb-q", "fattura")
    agent.locator("#kb-results [data-kb-insert]").first.click()
    reply = agent.locator("#reply-body")
    assert "/portal/kb/articles/" in reply.input_value()
    reply.press("End")
    reply.type("\nBuongiorno Giulia, prova con questi passi e facci sapere.")
    agent.click("#reply-send")
    agent.wait_for_load_state()
    assert agent.locator(".flash li.success").count() == 1

    # 5. She reads the reply, with the article's link, in the portal.
    giulia.reload()
    thread = giulia.locator("#thread")
    assert "Buongiorno Giulia" in thread.inner_text()
    thread.locator("a[href*='/portal/kb/articles/']").first.wait_for()

    # 6. Not happy: she asks for a manager.
    giulia.click("#manager-open")
    giulia.fill("#manager-reason", "Vorrei parlare con il responsabile, è la terza volta.")
    giulia.click("#manager-send")
    giulia.wait_for_load_state()
    assert giulia.locator("#manager-state").get_attribute("data-state") == "pending"
    assert giulia.locator("#manager-open").count() == 0

    # 7. The agent solves the request; she answers the survey, once.
    agent.goto(f"{url}/tickets/{number}/")
    agent.fill("#reply-body", "Abbiamo corretto il problema: ora il download funziona.")
    agent.select_option("#reply-status", "solved")
    agent.click("#reply-send")
    agent.wait_for_load_state()
    giulia.reload()
    assert giulia.locator("#ticket-status").get_attribute("data-status") == "solved"
    giulia.locator("#survey").wait_for()
    giulia.check("#score-5")
    giulia.fill("#survey-comment", "Grazie, risolto in fretta.")
    giulia.click("#survey-send")
    giulia.wait_for_load_state()
    giulia.locator("#survey-done").wait_for()
    assert giulia.locator("#survey").count() == 0
