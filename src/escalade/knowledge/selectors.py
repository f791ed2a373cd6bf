"""Reading the knowledge base: what an actor may see, search, one article, categories.

Customers and visitors see published translations of public articles; agents also see
internal articles, and drafts when they ask for them (editing).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from escalade.core.actors import Actor
from escalade.core.errors import NotFound
from escalade.knowledge import search as index
from escalade.knowledge import textsearch
from escalade.knowledge.models import Article, ArticleTranslation, Category

PUBLISHED = ArticleTranslation.Status.PUBLISHED


def visible_articles(actor: Actor, *, include_drafts: bool = False) -> QuerySet[Article]:
    """Articles with at least one translation the actor may read."""
    return Article.objects.filter(
        pk__in=visible_translations(actor, include_drafts=include_drafts).values("article_id")
    )


def visible_translations(
    actor: Actor, *, include_drafts: bool = False
) -> QuerySet[ArticleTranslation]:
    translations = ArticleTranslation.objects.select_related("article", "article__category")
    if not actor.is_agent:
        return translations.filter(status=PUBLISHED, article__visibility=Article.Visibility.PUBLIC)
    if include_drafts:
        return translations
    return translations.filter(status=PUBLISHED)


@dataclass(frozen=True)
class Hit:
    translation: ArticleTranslation
    score: int
    title: list[tuple[str, bool]]  # highlighted pieces
    snippet: list[tuple[str, bool]]
    other_languages: tuple[str, ...] = ()

    @property
    def article(self) -> Article:
        return self.translation.article


def search(
    actor: Actor,
    query: str,
    *,
    language: str = "",
    limit: int = 10,
    include_drafts: bool = False,
    category: str | None = None,
) -> list[Hit]:
    """Articles matching ``query`` in any language, best first, one translation per article
    (the reader's language when it matches too)."""
    terms = textsearch.query_terms(query)
    if not terms:
        return []
    translations = visible_translations(actor, include_drafts=include_drafts)
    if category:
        translations = translations.filter(article__category__slug=category)
    ids = index.candidate_ids(terms)
    if ids is None:
        translations = translations.filter(index.candidate_filter(terms))
    else:
        translations = translations.filter(pk__in=ids)
    best: dict[int, tuple[tuple, ArticleTranslation, int]] = {}
    languages: dict[int, list[str]] = {}
    for translation in translations[: index.CANDIDATE_LIMIT]:
        folded_title, folded_body = index.split_search_text(translation.search_text)
        points = textsearch.score(terms, folded_title, folded_body)
        if not points:
            continue
        languages.setdefault(translation.article_id, []).append(translation.language)
        rank = (points, translation.language == language, translation.is_published)
        current = best.get(translation.article_id)
        if current is None or rank > current[0]:
            best[translation.article_id] = (rank, translation, points)
    ordered = sorted(
        best.values(),
        key=lambda item: (
            -item[2],
            not item[0][1],
            -(item[1].article.helpful_count - item[1].article.not_helpful_count),
            item[1].article_id,
        ),
    )
    return [
        Hit(
            translation=translation,
            score=points,
            title=textsearch.highlight(translation.title, terms),
            snippet=textsearch.snippet(translation.body_text, terms),
            other_languages=tuple(
                sorted(set(languages[translation.article_id]) - {translation.language})
            ),
        )
        for _ranked, translation, points in ordered[:limit]
    ]


@dataclass(frozen=True)
class ArticleView:
    article: Article
    translation: ArticleTranslation
    languages: tuple[str, ...]  # the languages the reader may switch to
    fallback: bool  # not in the language asked for


def article(
    actor: Actor, article_id: int, language: str = "", *, include_drafts: bool = False
) -> ArticleView:
    """One article in ``language`` if it is written in it, else in another language."""
    translations = list(
        visible_translations(actor, include_drafts=include_drafts)
        .filter(article_id=article_id)
        .order_by("language")
    )
    if not translations:
        raise NotFound(_("Article %(id)s not found") % {"id": article_id})
    by_language = {t.language: t for t in translations}
    chosen = by_language.get(language) or by_language.get("en") or translations[0]
    return ArticleView(
        article=chosen.article,
        translation=chosen,
        languages=tuple(sorted(by_language)),
        fallback=chosen.language != language,
    )


def categories(actor: Actor) -> list[tuple[Category, int]]:
    """Categories with how many articles the actor may read in each (empty ones left out)."""
    visible = visible_articles(actor)
    counted = Category.objects.annotate(
        visible_count=Count("articles", filter=Q(articles__in=visible), distinct=True)
    ).order_by("position", "slug")
    return [(category, category.visible_count) for category in counted if category.visible_count]


def ticket_categories() -> QuerySet[Category]:
    return Category.objects.filter(for_tickets=True).order_by("position", "slug")


def in_category(actor: Actor, category: Category, language: str = "") -> list[ArticleTranslation]:
    """One translation per article of a category, in the reader's language where possible."""
    chosen: dict[int, ArticleTranslation] = {}
    for translation in visible_translations(actor).filter(article__category=category):
        current = chosen.get(translation.article_id)
        if current is None or _preference(translation, language) < _preference(current, language):
            chosen[translation.article_id] = translation
    return sorted(chosen.values(), key=lambda t: t.title.casefold())


def popular(actor: Actor, language: str = "", limit: int = 6) -> list[ArticleTranslation]:
    """The most helpful articles, in the reader's language where possible."""
    chosen: dict[int, ArticleTranslation] = {}
    for translation in visible_translations(actor).filter(
        article__visibility=Article.Visibility.PUBLIC
    ):
        current = chosen.get(translation.article_id)
        if current is None or _preference(translation, language) < _preference(current, language):
            chosen[translation.article_id] = translation
    ordered = sorted(
        chosen.values(),
        key=lambda t: (
            -(t.article.helpful_count - t.article.not_helpful_count),
            t.title.casefold(),
        ),
    )
    return ordered[:limit]


def _preference(translation: ArticleTranslation, language: str) -> tuple[int, str]:
    if translation.language == language:
        return (0, translation.language)
    if translation.language == "en":
        return (1, translation.language)
    return (2, translation.language)
