"""The knowledge base through the API (`/api/v1/kb`) and in the agent workspace: anyone searches
public articles, agents also internal ones, only agents write, and an agent links an article in
a reply."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from escalade.accounts.services import create_api_token
from escalade.core.actors import actor_for
from escalade.knowledge.demo import load_articles
from escalade.knowledge.models import Article, ArticleTranslation
from tests.portal.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def help_centre():
    load_articles()


@pytest.fixture
def agent(make):
    return make.agent("sam", teams=[make.team("support-en")])


def post(client: Client, path: str, body: dict, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_anyone_searches_published_public_articles(help_centre):
    hits = Client().get("/api/v1/kb/search", {"q": "发票", "language": "zh-hans"}).json()
    assert [(h["slug"], h["language"]) for h in hits] == [("download-invoices", "zh-hans")]
    assert hits[0]["url"].endswith(
        f"/portal/kb/articles/{hits[0]['article_id']}/download-invoices/?lang=zh-hans"
    )
    assert Client().get("/api/v1/kb/search", {"q": "approval limits"}).json() == []


def test_agents_also_find_internal_articles_with_a_token(help_centre, agent):
    _token, secret = create_api_token(actor_for(agent.user), "kb")
    hits = (
        Client()
        .get(
            "/api/v1/kb/search",
            {"q": "approval limits"},
            headers={"authorization": f"Bearer {secret}"},
        )
        .json()
    )
    assert hits[0]["slug"] == "refund-approval-limits"
    assert hits[0]["internal"] is True


def test_agents_write_translate_and_publish(agent):
    client = client_for(agent.user)
    created = post(
        client,
        "/api/v1/kb/articles",
        {
            "language": "en",
            "title": "Gift cards",
            "body": "How gift cards work.",
            "visibility": "public",
        },
    )
    assert created.status_code == 201, created.content
    article_id = created.json()["id"]
    assert created.json()["slug"] == "gift-cards"
    assert Client().get("/api/v1/kb/search", {"q": "gift cards"}).json() == []  # a draft
    put = client.put(
        f"/api/v1/kb/articles/{article_id}/translations/pl",
        json.dumps(
            {
                "title": "Karty podarunkowe",
                "body_html": "<p>Jak <b>działają</b></p><script>x</script>",
                "status": "published",
            }
        ),
        content_type="application/json",
    )
    assert put.status_code == 200
    assert "<script>" not in put.json()["body_html"]
    assert (
        post(client, f"/api/v1/kb/articles/{article_id}/translations/en/publish", {}).status_code
        == 200
    )
    found = Client().get("/api/v1/kb/search", {"q": "podarunkowe"}).json()
    assert [h["language"] for h in found] == ["pl"]
    article = Client().get(f"/api/v1/kb/articles/{article_id}").json()
    assert sorted(t["language"] for t in article["translations"]) == ["en", "pl"]


def test_customers_and_visitors_do_not_write(kari_customer, help_centre):
    body = {"language": "en", "title": "Mine", "body": "x"}
    assert post(client_for(kari_customer), "/api/v1/kb/articles", body).status_code == 403
    assert post(Client(), "/api/v1/kb/articles", body).status_code == 401
    article = Article.objects.get(slug="charged-twice")
    assert (
        post(
            client_for(kari_customer),
            f"/api/v1/kb/articles/{article.pk}/translations/en/unpublish",
            {},
        ).status_code
        == 403
    )
    assert ArticleTranslation.objects.get(article=article, language="en").is_published


def test_bad_input_names_the_field(agent):
    response = post(client_for(agent.user), "/api/v1/kb/articles", {"language": "xx", "title": "T"})
    assert response.status_code == 422
    assert "language" in response.json()["detail"]


def test_signed_in_users_vote_through_the_api(kari_customer, help_centre):
    article = Article.objects.get(slug="charged-twice")
    client = client_for(kari_customer)
    for _ in range(2):
        response = post(client, f"/api/v1/kb/articles/{article.pk}/vote", {"helpful": True})
    assert response.json() == {"helpful": 1, "not_helpful": 0}


def test_categories_in_the_readers_language(help_centre):
    names = {
        c["slug"]: c["name"]
        for c in Client().get("/api/v1/kb/categories", {"language": "tr"}).json()
    }
    assert names["billing"] == "Fatura ve ödeme"
    assert "technical" not in names  # only a draft there


# --- linking an article in a reply --------------------------------------------------------------


def test_the_reply_form_offers_to_link_an_article(agent, make):
    ticket = make.ticket(subject="Invoice")
    page = client_for(agent.user).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="kb-picker"' in page
    assert 'data-kb-target="#reply-body"' in page


def test_the_picker_finds_public_and_internal_articles_with_their_portal_links(agent, help_centre):
    page = (
        client_for(agent.user)
        .get("/kb/picker/", {"q": "refund", "language": "en"})
        .content.decode()
    )
    internal = Article.objects.get(slug="refund-approval-limits")
    assert f"/portal/kb/articles/{internal.pk}/refund-approval-limits/?lang=en" in page
    assert "data-kb-insert" in page
    assert "internal" in page


def test_the_picker_is_for_agents_only(kari_customer):
    assert client_for(kari_customer).get("/kb/picker/?q=x")["Location"] == "/portal/"
    assert Client().get("/kb/picker/?q=x")["Location"].startswith("/login/")


@pytest.fixture
def kari_customer(make):
    return make.customer("kari@fjordhandel.no", name="Kari", language="nb", with_login=True)
