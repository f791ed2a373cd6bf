"""Signing in to the portal: a one-time link by email (hashed, single use, expiring, rate
limited, never telling whether an address is known), the optional password, CSRF, and the
language the portal speaks."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from escalade.accounts.models import Customer
from escalade.portal.models import MagicLink
from tests.factories import PASSWORD
from tests.portal.conftest import client_for, link_token, mails_to

pytestmark = pytest.mark.django_db


def ask_for_link(client: Client, email: str, **extra):
    return client.post("/portal/signin/", {"method": "link", "email": email, **extra})


def signed_in_customer(client: Client):
    user_id = client.session.get("_auth_user_id")
    return Customer.objects.filter(user_id=user_id).first() if user_id else None


# --- the link ---------------------------------------------------------------------------------


def test_a_customer_signs_in_with_the_link_mailed_to_them(kari, clock):
    client = Client()
    response = ask_for_link(client, "Kari@Fjordhandel.no")
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin/sent/"
    (mail,) = mails_to("kari@fjordhandel.no")
    assert mail.payload["subject"] == "Lenken din for å logge inn"  # Kari reads Norwegian
    token = link_token("kari@fjordhandel.no")

    page = client.get(f"/portal/signin/{token}/")
    assert page.status_code == 200
    assert signed_in_customer(client) is None  # opening the link alone signs nobody in

    response = client.post(f"/portal/signin/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/tickets/"
    assert signed_in_customer(client) == kari


def test_only_the_hash_of_the_token_is_stored(kari):
    ask_for_link(Client(), kari.email)
    token = link_token(kari.email)
    link = MagicLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not MagicLink.objects.filter(token_hash=token).exists()


def test_a_link_works_once(kari):
    ask_for_link(Client(), kari.email)
    token = link_token(kari.email)
    assert Client().post(f"/portal/signin/{token}/").status_code == 302
    second = Client()
    response = second.post(f"/portal/signin/{token}/")
    assert response.status_code == 410
    assert signed_in_customer(second) is None
    assert second.get(f"/portal/signin/{token}/").status_code == 410


def test_a_link_expires(kari, clock, settings):
    settings.MAGIC_LINK_TTL_SECONDS = 15 * 60
    ask_for_link(Client(), kari.email)
    token = link_token(kari.email)
    clock.advance(minutes=15)
    client = Client()
    assert client.post(f"/portal/signin/{token}/").status_code == 410
    assert signed_in_customer(client) is None


def test_a_link_still_works_just_before_it_expires(kari, clock):
    ask_for_link(Client(), kari.email)
    token = link_token(kari.email)
    clock.advance(minutes=14, seconds=59)
    assert Client().post(f"/portal/signin/{token}/").status_code == 302


def test_signing_in_with_one_link_cancels_the_others(kari, clock):
    ask_for_link(Client(), kari.email)
    first = link_token(kari.email)
    clock.advance(minutes=1)
    ask_for_link(Client(), kari.email)
    second = link_token(kari.email)
    assert first != second
    assert Client().post(f"/portal/signin/{second}/").status_code == 302
    assert Client().post(f"/portal/signin/{first}/").status_code == 410


def test_a_wrong_token_signs_nobody_in():
    client = Client()
    assert client.post("/portal/signin/not-a-real-token/").status_code == 410
    assert signed_in_customer(client) is None


def test_guessing_tokens_is_rate_limited_per_client(settings):
    settings.LOGIN_RATE_LIMIT = 3
    client = Client()
    for attempt in range(3):
        assert client.post(f"/portal/signin/guess-{attempt}/").status_code == 410
    assert client.post("/portal/signin/guess-4/").status_code == 429


def test_the_link_brings_the_customer_back_to_the_page_they_wanted(kari):
    ask_for_link(Client(), kari.email, next="/portal/tickets/new/")
    response = Client().post(f"/portal/signin/{link_token(kari.email)}/")
    assert response["Location"] == "/portal/tickets/new/"


def test_a_next_page_on_another_site_is_ignored(kari):
    ask_for_link(Client(), kari.email, next="https://evil.example/phish")
    response = Client().post(f"/portal/signin/{link_token(kari.email)}/")
    assert response["Location"] == "/portal/tickets/"


def test_a_known_customer_without_a_login_gets_a_user_on_first_sign_in(make):
    silje = make.customer("silje@bergensykkel.no", name="Silje Berg")
    assert silje.user is None
    client = Client()
    ask_for_link(client, silje.email)
    client.post(f"/portal/signin/{link_token(silje.email)}/")
    silje.refresh_from_db()
    assert silje.user is not None
    assert not silje.user.has_usable_password()
    assert signed_in_customer(client) == silje


def test_an_unknown_address_becomes_a_customer_on_first_sign_in(make):
    organisation = make.organisation("Bergen Sykkel", domains=["bergensykkel.no"])
    client = Client()
    ask_for_link(client, "magnus@bergensykkel.no")
    client.post(f"/portal/signin/{link_token('magnus@bergensykkel.no')}/")
    magnus = Customer.objects.get(email="magnus@bergensykkel.no")
    assert magnus.organisation == organisation
    assert not magnus.is_org_admin
    assert signed_in_customer(client) == magnus


def test_without_sign_up_an_unknown_address_gets_no_mail(settings):
    settings.PORTAL_SIGNUP = False
    ask_for_link(Client(), "stranger@example.test")
    assert mails_to("stranger@example.test") == []
    assert not Customer.objects.filter(email="stranger@example.test").exists()


@pytest.mark.parametrize("signup", [True, False])
def test_the_answer_never_tells_whether_an_address_is_known(kari, settings, signup):
    settings.PORTAL_SIGNUP = signup
    known, unknown = Client(), Client()
    for client, email in ((known, kari.email), (unknown, "nobody@example.test")):
        response = ask_for_link(client, email)
        assert response.status_code == 302
        assert response["Location"] == "/portal/signin/sent/"
    known_page = page_without_csrf(known, kari.email)
    unknown_page = page_without_csrf(unknown, "nobody@example.test")
    assert known_page == unknown_page


def page_without_csrf(client: Client, email: str) -> str:
    page = client.get("/portal/signin/sent/").content.decode().replace(email, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_agents_never_get_a_link(make):
    agent = make.agent("ada")
    ask_for_link(Client(), agent.user.email)
    assert mails_to(agent.user.email) == []


def test_asking_for_links_is_rate_limited_per_address(kari, settings):
    settings.LOGIN_RATE_LIMIT = 3
    for _ in range(3):
        assert ask_for_link(Client(), kari.email).status_code == 302
    response = ask_for_link(Client(), kari.email)
    assert response.status_code == 429
    assert len(mails_to(kari.email)) == 3


def test_asking_for_links_is_rate_limited_per_client(settings):
    settings.LOGIN_RATE_LIMIT = 2  # three times that per client address
    client = Client()
    for n in range(6):
        assert ask_for_link(client, f"person{n}@example.test").status_code == 302
    assert ask_for_link(client, "person7@example.test").status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert ask_for_link(other, "person8@example.test").status_code == 302


def test_the_rate_limit_forgets_after_its_window(kari, settings, clock):
    settings.LOGIN_RATE_LIMIT = 1
    assert ask_for_link(Client(), kari.email).status_code == 302
    assert ask_for_link(Client(), kari.email).status_code == 429
    clock.advance(seconds=settings.LOGIN_RATE_WINDOW_SECONDS + 1)
    assert ask_for_link(Client(), kari.email).status_code == 302


def test_a_bad_address_is_a_clear_error():
    response = ask_for_link(Client(), "not an address")
    assert response.status_code == 400
    assert "email" in response.content.decode()


def test_the_api_answers_the_same_for_every_address(kari):
    for email in (kari.email, "nobody@example.test"):
        response = Client().post(
            "/api/v1/portal/magic-link", {"email": email}, content_type="application/json"
        )
        assert response.status_code == 202
        assert response.json() == {"detail": "If the address may sign in, a link is on its way."}


# --- CSRF and the password --------------------------------------------------------------------


def test_forms_need_the_csrf_token(kari):
    client = Client(enforce_csrf_checks=True)
    assert ask_for_link(client, kari.email).status_code == 403
    client.get("/portal/signin/")
    response = ask_for_link(
        client, kari.email, csrfmiddlewaretoken=client.cookies["csrftoken"].value
    )
    assert response.status_code == 302


def test_a_customer_may_also_sign_in_with_a_password(kari):
    client = Client()
    response = client.post(
        "/portal/signin/", {"method": "password", "email": kari.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_customer(client) == kari


def test_wrong_passwords_are_rate_limited(kari, settings):
    settings.LOGIN_RATE_LIMIT = 2
    client = Client()
    wrong = {"method": "password", "email": kari.email, "password": "nope"}
    assert client.post("/portal/signin/", wrong).status_code == 400
    assert client.post("/portal/signin/", wrong).status_code == 400
    right = {**wrong, "password": PASSWORD}
    assert client.post("/portal/signin/", right).status_code == 429


def test_a_customer_sets_a_password_in_their_account(make):
    silje = make.customer("silje@example.test", name="Silje")
    client = Client()
    ask_for_link(client, silje.email)
    client.post(f"/portal/signin/{link_token(silje.email)}/")
    response = client.post(
        "/portal/account/",
        {"password": "fjord-and-mountain-42", "confirm": "fjord-and-mountain-42"},
    )
    assert response.status_code == 302
    assert signed_in_customer(client) is not None  # still signed in
    user = get_user_model().objects.get(email=silje.email)
    assert user.check_password("fjord-and-mountain-42")


def test_signing_out(kari):
    client = client_for(kari)
    assert client.post("/portal/signout/").status_code == 302
    assert signed_in_customer(client) is None


# --- languages ----------------------------------------------------------------------------------


def test_visitors_get_the_language_of_their_browser():
    page = Client().get("/portal/", headers={"accept-language": "pl"})
    assert '<html lang="pl">' in page.content.decode()
    assert "W czym możemy pomóc?" in page.content.decode()


def test_a_customer_gets_their_own_language_whatever_the_browser(kari):
    page = client_for(kari).get("/portal/", headers={"accept-language": "tr"})
    assert '<html lang="nb">' in page.content.decode()


def test_the_language_switcher_saves_the_customers_choice(kari):
    client = client_for(kari)
    response = client.post("/portal/language/", {"language": "zh-hans", "next": "/portal/"})
    assert response.status_code == 302
    kari.refresh_from_db()
    assert kari.language == "zh-hans"
    assert '<html lang="zh-hans">' in client.get("/portal/").content.decode()


def test_the_language_switcher_works_for_visitors_through_django():
    client = Client()
    client.post("/portal/language/", {"language": "tr", "next": "/portal/"})
    assert '<html lang="tr">' in client.get("/portal/").content.decode()
