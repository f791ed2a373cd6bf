"""Knowledge-base search on the real database (SQLite FTS5 trigram, PostgreSQL pg_trgm): a query
in each of the six languages finds its article, drafts and internal articles stay hidden from
customers, and the index follows every change."""

from __future__ import annotations

import pytest
from django.db import connection

from escalade.core.actors import SYSTEM, Actor
from escalade.core.errors import NotFound, PermissionDenied
from escalade.knowledge import search, selectors, services
from escalade.knowledge.models import Article, ArticleTranslation

pytestmark = pytest.mark.django_db

VISITOR = Actor(user=None)

INVOICES = {
    "en": (
        "How to download your invoices",
        "Open Billing, then Invoices, and choose Download PDF.",
    ),
    "nb": ("Slik laster du ned fakturaene dine", "Åpne Fakturering og velg Last ned PDF."),
    "tr": ("Faturalarınızı nasıl indirirsiniz", "Faturalandırma bölümünü açın ve PDF indirin."),
    "it": ("Come scaricare le fatture", "Apri Fatturazione e scegli Scarica PDF."),
    "pl": ("Jak pobrać faktury", "Otwórz Rozliczenia i wybierz Pobierz PDF."),
    "zh-hans": ("如何下载发票", "打开“账单 → 发票”，选择“下载 PDF”。"),
}
PASSWORDS = {
    "en": ("Reset your password", "Choose Forgot password on the sign-in page."),
    "nb": ("Tilbakestill passordet", "Velg Glemt passord på innloggingssiden."),
    "tr": ("Şifrenizi sıfırlayın", "Giriş sayfasında Şifremi unuttum'u seçin."),
    "it": ("Reimposta la password", "Scegli Password dimenticata nella pagina di accesso."),
    "pl": ("Zresetuj hasło", "Wybierz Nie pamiętam hasła na stronie logowania."),
    "zh-hans": ("重置密码", "在登录页面选择“忘记密码”。"),
}


def write(slug: str, texts: dict, *, visibility="public", status="published") -> Article:
    article = services.save_article(SYSTEM, slug=slug, visibility=visibility)
    for language, (title, body) in texts.items():
        services.save_translation(
            SYSTEM, article.pk, language, title=title, body_text=body, status=status
        )
    return article


@pytest.fixture
def library():
    return {"invoices": write("invoices", INVOICES), "passwords": write("passwords", PASSWORDS)}


def found(query: str, actor: Actor = VISITOR, **options) -> list[tuple[str, str]]:
    return [
        (hit.article.slug, hit.translation.language)
        for hit in selectors.search(actor, query, **options)
    ]


@pytest.mark.parametrize(
    ("language", "query"),
    [
        ("en", "download invoice"),
        ("nb", "fakturaene"),
        ("tr", "faturalarınızı indir"),
        ("it", "scaricare fatture"),
        ("pl", "pobrać faktury"),
        ("zh-hans", "下载发票"),
    ],
)
def test_a_query_in_each_language_finds_the_article_in_that_language(library, language, query):
    assert found(query, language=language)[0] == ("invoices", language)


def test_a_two_character_chinese_word_finds_the_chinese_article(library):
    # Shorter than a trigram: answered by the LIKE fallback over the same index rows.
    assert found("发票") == [("invoices", "zh-hans")]
    assert found("密码") == [("passwords", "zh-hans")]
    assert found("票") == [("invoices", "zh-hans")]


def test_a_chinese_question_finds_the_chinese_article(library):
    assert found("怎么下载发票？")[0] == ("invoices", "zh-hans")


def test_accents_and_case_do_not_matter(library):
    assert found("POBRAC FAKTURY")[0] == ("invoices", "pl")
    assert found("sifremi unuttum")[0] == ("passwords", "tr")
    assert found("HASŁO") == [("passwords", "pl")]


def test_the_readers_language_wins_when_several_translations_match(library):
    # "pdf" is in every translation of the invoices article.
    assert found("pdf", language="it") == [("invoices", "it")]
    assert found("pdf", language="zh-hans") == [("invoices", "zh-hans")]


def test_each_hit_names_the_other_languages_that_matched(library):
    hit = selectors.search(VISITOR, "pdf", language="en")[0]
    assert hit.translation.language == "en"
    assert set(hit.other_languages) == {"nb", "tr", "it", "pl", "zh-hans"}


def test_a_title_match_ranks_above_a_text_match():
    write("text-only", {"en": ("Account settings", "Your invoice address lives here.")})
    write("in-title", {"en": ("Invoice address", "Where we send paper mail.")})
    assert [slug for slug, _ in found("invoice address")] == ["in-title", "text-only"]


def test_results_are_highlighted_in_the_original_spelling(library):
    hit = selectors.search(VISITOR, "faktury", language="pl")[0]
    assert ("faktury", True) in hit.title
    hit = selectors.search(VISITOR, "发票")[0]
    assert ("发票", True) in hit.title


def test_drafts_are_hidden_from_customers_and_found_by_editors():
    write("draft", {"en": ("Maintenance window", "Planned maintenance.")}, status="draft")
    assert found("maintenance") == []
    assert found("maintenance", SYSTEM) == []
    assert found("maintenance", SYSTEM, include_drafts=True) == [("draft", "en")]


def test_internal_articles_are_for_agents_only(make):
    write("limits", {"en": ("Refund approval limits", "Up to 2,000 NOK.")}, visibility="internal")
    agent = make.actor(make.agent())
    customer = make.actor(make.customer(with_login=True))
    assert found("refund limits", agent) == [("limits", "en")]
    assert found("refund limits", customer) == []
    assert found("refund limits") == []
    with pytest.raises(NotFound):
        selectors.article(customer, Article.objects.get(slug="limits").pk)


def test_publishing_one_translation_does_not_publish_the_others():
    article = write("partly", {"en": ("Gift cards", "How gift cards work.")}, status="draft")
    services.save_translation(SYSTEM, article.pk, "nb", title="Gavekort", body_text="Slik.")
    services.set_status(SYSTEM, article.pk, "en", "published")
    assert found("gift cards") == [("partly", "en")]
    assert found("gavekort") == []


def test_the_index_follows_edits_and_deletions(library):
    article = library["invoices"]
    services.save_translation(
        SYSTEM,
        article.pk,
        "en",
        title="Getting a copy of a bill",
        body_text="Open Billing and choose Download.",
        status="published",
    )
    assert ("invoices", "en") not in found("invoices", language="en")
    assert found("copy of a bill")[0] == ("invoices", "en")
    services.delete_translation(SYSTEM, article.pk, "zh-hans")
    assert found("发票") == []
    services.delete_article(SYSTEM, library["passwords"].pk)
    assert found("password") == []


def test_the_index_is_rebuilt_from_the_articles(library):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {search.FTS_TABLE}")
    else:
        ArticleTranslation.objects.update(search_text="")
    assert found("fakturaene") == []
    assert services.rebuild_index(SYSTEM) == 12
    assert found("fakturaene") == [("invoices", "nb")]


def test_each_backend_has_its_own_index(library):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT sql FROM sqlite_master WHERE name = '{search.FTS_TABLE}'")
            assert "trigram" in cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM {search.FTS_TABLE}")
            assert cursor.fetchone()[0] == 12
        else:
            cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == ("pg_trgm",)
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = "
                "'knowledge_translation_search_trgm'"
            )
            assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_html_is_sanitised_and_searchable_as_text():
    article = services.save_article(SYSTEM, slug="html")
    translation = services.save_translation(
        SYSTEM,
        article.pk,
        "en",
        title="Export",
        body_html='<p onclick="x()">Use <b>Export CSV</b></p><script>alert(1)</script>',
        status="published",
    )
    assert "script" not in translation.body_html
    assert "onclick" not in translation.body_html
    assert "<b>Export CSV</b>" in translation.body_html
    assert found("csv") == [("html", "en")]


def test_customers_do_not_write_articles(make):
    customer = make.actor(make.customer(with_login=True))
    with pytest.raises(PermissionDenied):
        services.create_article(customer, language="en", title="Mine", body_text="x")


def test_a_vote_counts_once_per_voter_and_can_change(library):
    article = library["invoices"]
    services.vote(VISITOR, article.pk, helpful=True, voter="session:a")
    services.vote(VISITOR, article.pk, helpful=True, voter="session:a")
    services.vote(VISITOR, article.pk, helpful=False, voter="session:b")
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)
    services.vote(VISITOR, article.pk, helpful=False, voter="session:a")
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (0, 2)


def test_nobody_votes_on_what_they_cannot_read(make):
    internal = write("internal", {"en": ("Internal", "x")}, visibility="internal")
    with pytest.raises(NotFound):
        services.vote(VISITOR, internal.pk, helpful=True, voter="session:a")


def test_helpful_articles_rank_first_among_equals():
    write("first", {"en": ("Shipping costs", "Shipping to Norway.")})
    second = write("second", {"en": ("Shipping times", "Shipping to Italy.")})
    services.vote(VISITOR, second.pk, helpful=True, voter="session:a")
    assert [slug for slug, _ in found("shipping")] == ["second", "first"]
