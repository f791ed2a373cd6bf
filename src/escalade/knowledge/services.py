"""Knowledge-base actions: categories, articles and their translations, publishing, votes.

Agents write and publish articles; customers and visitors only vote. Every change keeps the
search index (``knowledge.search``) in step, in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from escalade.core import clock, validation
from escalade.core.actors import Actor
from escalade.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from escalade.core.html import html_to_text, sanitize_html, text_to_html
from escalade.knowledge import search
from escalade.knowledge.models import Article, ArticleTranslation, ArticleVote, Category

MAX_TITLE = 300
MAX_BODY = 200_000
_SLUG = re.compile(r"^[-a-z0-9]+$")


def _slug(value: str, field: str = "slug") -> str:
    value = (value or "").strip().lower()
    if not value or len(value) > 120 or not _SLUG.match(value):
        raise ValidationFailed(
            _("%(field)s: use lower-case letters, digits and hyphens") % {"field": field},
            field=field,
        )
    return value


def _language(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in dict(settings.LANGUAGES):
        raise ValidationFailed(
            _("language: %(value)r is not one of %(allowed)s")
            % {"value": value, "allowed": ", ".join(code for code, _name in settings.LANGUAGES)},
            field="language",
        )
    return value


def _category(value: Category | int | str | None) -> Category | None:
    if value is None or value == "" or isinstance(value, Category):
        return value or None
    lookup = {"pk": value} if isinstance(value, int) or str(value).isdigit() else {"slug": value}
    found = Category.objects.filter(**lookup).first()
    if found is None:
        raise ValidationFailed(
            _("category: no category %(value)r") % {"value": value}, field="category"
        )
    return found


def _editor(actor: Actor) -> None:
    """Agents write the knowledge base."""
    actor.require_agent()


def _locked_article(article_id: int) -> Article:
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("Article %(id)s not found") % {"id": article_id})
    return article


# --- categories ------------------------------------------------------------------------------


@transaction.atomic
def save_category(
    actor: Actor,
    category_id: int | None = None,
    *,
    slug: str | None = None,
    name: str | None = None,
    names: dict[str, str] | None = None,
    position: int | None = None,
    for_tickets: bool | None = None,
) -> Category:
    """Create a category or change one; ``names`` maps languages to the name in them."""
    actor.require_supervisor()
    if category_id is None:
        category = Category()
    else:
        category = Category.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound()
    if slug is not None or category_id is None:
        category.slug = _slug(slug or "")
    if name is not None or category_id is None:
        category.name = validation.text(name or "", "name", max_length=200, required=True)
    if names is not None:
        category.names = {
            _language(code): validation.text(value, "names", max_length=200, required=True)
            for code, value in names.items()
        }
    if position is not None:
        category.position = max(0, int(position))
    if for_tickets is not None:
        category.for_tickets = bool(for_tickets)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise Conflict(
            _("a category with the slug %(slug)s already exists") % {"slug": category.slug}
        ) from None
    return category


# --- articles --------------------------------------------------------------------------------


def _visibility(value: str) -> str:
    if value not in Article.Visibility.values:
        raise ValidationFailed(
            _("visibility: must be one of %(values)s")
            % {"values": ", ".join(Article.Visibility.values)},
            field="visibility",
        )
    return value


@transaction.atomic
def save_article(actor: Actor, article_id: int | None = None, **fields: Any) -> Article:
    """Create an article (no text yet) or change its ``slug``, ``category`` or ``visibility``."""
    _editor(actor)
    unknown = set(fields) - {"slug", "category", "visibility"}
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed(_("%(field)s cannot be changed") % {"field": field}, field=field)
    now = clock.now()
    if article_id is None:
        article = Article(created_by=actor.user, created_at=now)
        article.slug = _slug(fields.get("slug", ""))
    else:
        article = _locked_article(article_id)
        if "slug" in fields:
            article.slug = _slug(fields["slug"])
    if "category" in fields:
        article.category = _category(fields["category"])
    if "visibility" in fields:
        article.visibility = _visibility(fields["visibility"])
    article.updated_at = now
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        raise Conflict(
            _("an article with the slug %(slug)s already exists") % {"slug": article.slug}
        ) from None
    return article


@transaction.atomic
def create_article(
    actor: Actor,
    *,
    slug: str = "",
    category: Category | int | str | None = None,
    visibility: str = Article.Visibility.PUBLIC,
    language: str,
    title: str,
    body_html: str | None = None,
    body_text: str = "",
    publish: bool = False,
) -> Article:
    """A new article with its first translation (a draft unless ``publish``)."""
    _editor(actor)
    title = validation.text(title, "title", max_length=MAX_TITLE, required=True)
    if not slug:
        base = slugify(title)[:80].strip("-") or "article"
        slug, number = base, 1
        while Article.objects.filter(slug=slug).exists():
            number += 1
            slug = f"{base}-{number}"
    article = save_article(
        actor,
        slug=slug,
        category=category,
        visibility=visibility,
    )
    save_translation(
        actor,
        article.pk,
        language,
        title=title,
        body_html=body_html,
        body_text=body_text,
        status=ArticleTranslation.Status.PUBLISHED if publish else ArticleTranslation.Status.DRAFT,
    )
    return article


@transaction.atomic
def save_translation(
    actor: Actor,
    article_id: int,
    language: str,
    *,
    title: str,
    body_html: str | None = None,
    body_text: str = "",
    status: str | None = None,
) -> ArticleTranslation:
    """Write the article in one language (create or replace), indexed for search at once.

    HTML goes through the one sanitiser; plain text becomes escaped paragraphs.
    """
    _editor(actor)
    article = _locked_article(article_id)
    language = _language(language)
    title = " ".join(validation.text(title, "title", max_length=MAX_TITLE, required=True).split())
    if body_html:
        if len(body_html) > MAX_BODY * 4:
            raise ValidationFailed(_("body_html is too large"), field="body_html")
        clean_html = sanitize_html(body_html)
        text = html_to_text(clean_html)
    else:
        text = validation.text(body_text, "body", max_length=MAX_BODY)
        clean_html = text_to_html(text)
    text = validation.text(text, "body", max_length=MAX_BODY)
    now = clock.now()
    translation = ArticleTranslation.objects.filter(article=article, language=language).first()
    if translation is None:
        translation = ArticleTranslation(article=article, language=language, created_at=now)
    if status is not None:
        if status not in ArticleTranslation.Status.values:
            raise ValidationFailed(
                _("status: must be one of %(values)s")
                % {"values": ", ".join(ArticleTranslation.Status.values)},
                field="status",
            )
        translation.status = status
    if translation.status == ArticleTranslation.Status.PUBLISHED and not translation.published_at:
        translation.published_at = now
    translation.title = title
    translation.body_html = clean_html
    translation.body_text = text
    translation.search_text = search.search_text(title, text)
    translation.updated_by = actor.user
    translation.updated_at = now
    translation.save()
    search.index(translation)
    Article.objects.filter(pk=article.pk).update(updated_at=now)
    return translation


@transaction.atomic
def set_status(actor: Actor, article_id: int, language: str, status: str) -> ArticleTranslation:
    """Publish or unpublish (back to draft) one translation."""
    _editor(actor)
    article = _locked_article(article_id)
    translation = ArticleTranslation.objects.filter(
        article=article, language=_language(language)
    ).first()
    if translation is None:
        raise NotFound(_("The article has no %(language)s text") % {"language": language})
    if status not in ArticleTranslation.Status.values:
        raise ValidationFailed(
            _("status: must be one of %(values)s")
            % {"values": ", ".join(ArticleTranslation.Status.values)},
            field="status",
        )
    now = clock.now()
    translation.status = status
    if status == ArticleTranslation.Status.PUBLISHED:
        translation.published_at = translation.published_at or now
    translation.updated_by = actor.user
    translation.updated_at = now
    translation.save(update_fields=["status", "published_at", "updated_by", "updated_at"])
    return translation


@transaction.atomic
def delete_translation(actor: Actor, article_id: int, language: str) -> None:
    _editor(actor)
    article = _locked_article(article_id)
    ids = list(
        ArticleTranslation.objects.filter(
            article=article, language=_language(language)
        ).values_list("pk", flat=True)
    )
    if not ids:
        raise NotFound()
    ArticleTranslation.objects.filter(pk__in=ids).delete()
    search.unindex(ids)


@transaction.atomic
def delete_article(actor: Actor, article_id: int) -> None:
    actor.require_supervisor()
    article = _locked_article(article_id)
    ids = list(article.translations.values_list("pk", flat=True))
    article.delete()
    search.unindex(ids)


@transaction.atomic
def rebuild_index(actor: Actor) -> int:
    """Recompute the folded text of every translation and rewrite the search index."""
    actor.require_admin()
    return search.rebuild()


# --- votes -----------------------------------------------------------------------------------


def voter_key(*, user=None, session_key: str | None = None) -> str:
    """Who votes: a signed-in user, or an anonymous browser session (hashed)."""
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if session_key:
        return "session:" + hashlib.sha256(session_key.encode()).hexdigest()[:40]
    raise PermissionDenied(_("voting needs a session"))


@transaction.atomic
def vote(
    actor: Actor, article_id: int, *, helpful: bool, voter: str, language: str = ""
) -> ArticleVote:
    """Record "was this helpful?"; voting again changes the vote, never counts twice."""
    from escalade.knowledge.selectors import visible_articles

    article = visible_articles(actor).select_for_update().order_by().filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("Article %(id)s not found") % {"id": article_id})
    language = language if language in dict(settings.LANGUAGES) else ""
    now = clock.now()
    existing = ArticleVote.objects.filter(article=article, voter=voter).first()
    if existing is None:
        record = ArticleVote.objects.create(
            article=article,
            voter=voter,
            helpful=helpful,
            language=language,
            created_at=now,
            updated_at=now,
        )
        field = "helpful_count" if helpful else "not_helpful_count"
        Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})
        return record
    if existing.helpful != helpful:
        up, down = (
            ("helpful_count", "not_helpful_count")
            if helpful
            else ("not_helpful_count", "helpful_count")
        )
        Article.objects.filter(pk=article.pk).update(**{up: F(up) + 1, down: F(down) - 1})
        existing.helpful = helpful
    existing.language = language or existing.language
    existing.updated_at = now
    existing.save(update_fields=["helpful", "language", "updated_at"])
    return existing
