"""The admin is the article editor: its saves go through the knowledge services, so the HTML is
sanitised and the search index follows."""

import pytest
from django.test import Client

from escalade.core.actors import Actor
from escalade.knowledge import selectors
from escalade.knowledge.models import Article

pytestmark = pytest.mark.django_db


def test_an_article_written_in_the_admin_is_sanitised_and_found(make):
    client = Client()
    client.force_login(make.agent("root", role="admin").user)
    response = client.post(
        "/admin/knowledge/article/add/",
        {
            "slug": "vat-numbers",
            "category": "",
            "visibility": "public",
            "translations-TOTAL_FORMS": "2",
            "translations-INITIAL_FORMS": "0",
            "translations-MIN_NUM_FORMS": "0",
            "translations-MAX_NUM_FORMS": "1000",
            "translations-0-language": "en",
            "translations-0-status": "published",
            "translations-0-title": "Adding your VAT number",
            "translations-0-body_html": "<p>Open <b>Settings</b>.</p><script>alert(1)</script>",
            "translations-1-language": "zh-hans",
            "translations-1-status": "published",
            "translations-1-title": "添加增值税号",
            "translations-1-body_html": "<p>打开设置。</p>",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="vat-numbers")
    english = article.translations.get(language="en")
    assert "<script>" not in english.body_html
    assert english.search_text.startswith("adding your vat number\n")
    visitor = Actor(user=None)
    assert [h.article.slug for h in selectors.search(visitor, "VAT number")] == ["vat-numbers"]
    assert [h.translation.language for h in selectors.search(visitor, "增值税")] == ["zh-hans"]
