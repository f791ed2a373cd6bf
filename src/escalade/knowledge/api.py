"""The knowledge base under ``/api/v1/kb``: search and read (anyone; agents also see internal
articles), write and publish (agents), vote (signed-in users)."""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from escalade.accounts.services import user_for_token
from escalade.core.actors import actor_for
from escalade.knowledge import selectors, services
from escalade.knowledge.models import Article, ArticleTranslation

router = Router(tags=["knowledge base"])

LanguageCode = Literal["en", "nb", "tr", "it", "pl", "zh-hans"]


class _OptionalAuth:
    """Public endpoints still recognise a bearer token or a session (agents see more)."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            user = user_for_token(header[7:].strip())
            if user is not None:
                request.user = user
                return user
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else True


OPTIONAL = [_OptionalAuth()]


def _actor(request: HttpRequest):
    user = request.auth if request.auth is not True else None
    return actor_for(user)


def portal_url(article: Article, language: str = "") -> str:
    url = reverse("portal:article", kwargs={"article_id": article.pk, "slug": article.slug})
    return f"{settings.BASE_URL}{url}" + (f"?lang={language}" if language else "")


class CategoryOut(Schema):
    slug: str
    name: str
    articles: int


class HitOut(Schema):
    article_id: int
    slug: str
    language: str
    title: str
    snippet: str
    category: str | None
    internal: bool
    published: bool
    other_languages: list[str]
    score: int
    url: str


class TranslationOut(Schema):
    language: str
    title: str
    status: str
    body_html: str
    published_at: datetime | None
    updated_at: datetime


class ArticleOut(Schema):
    id: int
    slug: str
    category: str | None
    visibility: str
    helpful: int
    not_helpful: int
    translations: list[TranslationOut]
    url: str


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=300)
    language: str = Field("", max_length=10, description="preferred language of the results")
    category: str | None = Field(None, max_length=64)
    limit: int = Field(10, ge=1, le=50)
    drafts: bool = Field(False, description="agents: include drafts")


class ArticleIn(Schema):
    slug: str = Field("", max_length=120)
    category: str | None = Field(None, max_length=64)
    visibility: Literal["public", "internal"] = "public"
    language: LanguageCode
    title: str = Field(..., min_length=1, max_length=300)
    body_html: str | None = None
    body: str = Field("", max_length=200_000)
    publish: bool = False


class ArticlePatch(Schema):
    slug: str | None = Field(None, max_length=120)
    category: str | None = Field(None, max_length=64)
    visibility: Literal["public", "internal"] | None = None


class TranslationIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    body_html: str | None = None
    body: str = Field("", max_length=200_000)
    status: Literal["draft", "published"] | None = None


class VoteIn(Schema):
    helpful: bool
    language: str = Field("", max_length=10)


class VoteOut(Schema):
    helpful: int
    not_helpful: int


def _plain(pieces: list[tuple[str, bool]]) -> str:
    return "".join(piece for piece, _match in pieces)


def _article_out(article: Article, translations) -> dict:
    return {
        "id": article.pk,
        "slug": article.slug,
        "category": article.category.slug if article.category_id else None,
        "visibility": article.visibility,
        "helpful": article.helpful_count,
        "not_helpful": article.not_helpful_count,
        "translations": list(translations),
        "url": portal_url(article),
    }


@router.get("/categories", response=list[CategoryOut], auth=OPTIONAL, summary="Categories")
def list_categories(request: HttpRequest, language: str = ""):
    return [
        {"slug": c.slug, "name": c.name_in(language), "articles": count}
        for c, count in selectors.categories(_actor(request))
    ]


@router.get("/search", response=list[HitOut], auth=OPTIONAL, summary="Search the articles")
def search(request: HttpRequest, params: Query[SearchParams]):
    actor = _actor(request)
    hits = selectors.search(
        actor,
        params.q,
        language=params.language,
        limit=params.limit,
        include_drafts=params.drafts and actor.is_agent,
        category=params.category,
    )
    return [
        {
            "article_id": hit.article.pk,
            "slug": hit.article.slug,
            "language": hit.translation.language,
            "title": hit.translation.title,
            "snippet": _plain(hit.snippet),
            "category": hit.article.category.slug if hit.article.category_id else None,
            "internal": hit.article.is_internal,
            "published": hit.translation.is_published,
            "other_languages": list(hit.other_languages),
            "score": hit.score,
            "url": portal_url(hit.article, hit.translation.language),
        }
        for hit in hits
    ]


@router.get("/articles/{int:article_id}", response=ArticleOut, auth=OPTIONAL, summary="Article")
def get_article(request: HttpRequest, article_id: int, drafts: bool = False):
    actor = _actor(request)
    view = selectors.article(actor, article_id, include_drafts=drafts and actor.is_agent)
    translations = selectors.visible_translations(
        actor, include_drafts=drafts and actor.is_agent
    ).filter(article=view.article)
    return _article_out(view.article, translations)


@router.post("/articles", response={201: ArticleOut}, summary="Write an article (agents)")
def create_article(request: HttpRequest, payload: ArticleIn):
    actor = actor_for(request.auth)
    article = services.create_article(
        actor,
        slug=payload.slug,
        category=payload.category,
        visibility=payload.visibility,
        language=payload.language,
        title=payload.title,
        body_html=payload.body_html,
        body_text=payload.body,
        publish=payload.publish,
    )
    return Status(201, _article_out(article, article.translations.all()))


@router.patch("/articles/{int:article_id}", response=ArticleOut, summary="Change an article")
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch):
    actor = actor_for(request.auth)
    article = services.save_article(actor, article_id, **payload.dict(exclude_unset=True))
    return _article_out(article, article.translations.all())


@router.put(
    "/articles/{int:article_id}/translations/{language}",
    response=TranslationOut,
    summary="Write the article in a language",
)
def put_translation(request: HttpRequest, article_id: int, language: str, payload: TranslationIn):
    return services.save_translation(
        actor_for(request.auth),
        article_id,
        language,
        title=payload.title,
        body_html=payload.body_html,
        body_text=payload.body,
        status=payload.status,
    )


@router.delete(
    "/articles/{int:article_id}/translations/{language}",
    response={204: None},
    summary="Delete a translation",
)
def delete_translation(request: HttpRequest, article_id: int, language: str):
    services.delete_translation(actor_for(request.auth), article_id, language)
    return Status(204, None)


@router.post(
    "/articles/{int:article_id}/translations/{language}/publish",
    response=TranslationOut,
    summary="Publish a translation",
)
def publish(request: HttpRequest, article_id: int, language: str):
    return services.set_status(
        actor_for(request.auth), article_id, language, ArticleTranslation.Status.PUBLISHED
    )


@router.post(
    "/articles/{int:article_id}/translations/{language}/unpublish",
    response=TranslationOut,
    summary="Take a translation back to draft",
)
def unpublish(request: HttpRequest, article_id: int, language: str):
    return services.set_status(
        actor_for(request.auth), article_id, language, ArticleTranslation.Status.DRAFT
    )


@router.post(
    "/articles/{int:article_id}/vote",
    response=VoteOut,
    summary="Was it helpful?",
)
def vote(request: HttpRequest, article_id: int, payload: VoteIn):
    actor = actor_for(request.auth)
    services.vote(
        actor,
        article_id,
        helpful=payload.helpful,
        voter=services.voter_key(user=request.auth),
        language=payload.language,
    )
    article = Article.objects.get(pk=article_id)
    return {"helpful": article.helpful_count, "not_helpful": article.not_helpful_count}
