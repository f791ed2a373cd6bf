from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A knowledge-base section; its slug is also the category a portal ticket is filed under."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The name in other languages: {"nb": "Faktura og betaling", "zh-hans": "账单与付款", …}
    names = models.JSONField(_("names per language"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Offered as a ticket category in the portal's request form.
    for_tickets = models.BooleanField(_("offered for portal requests"), default=True)

    class Meta:
        verbose_name = _("knowledge-base category")
        verbose_name_plural = _("knowledge-base categories")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name


class Article(models.Model):
    """One piece of knowledge, written in one or more languages (its translations)."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public (customers and agents)")
        INTERNAL = "internal", _("internal (agents only)")

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("category"),
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility, default=Visibility.PUBLIC
    )
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_internal(self) -> bool:
        return self.visibility == self.Visibility.INTERNAL


class ArticleTranslation(models.Model):
    """An article in one language, draft or published, with its folded search text."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=300)
    body_html = models.TextField(_("text (HTML)"), blank=True)
    body_text = models.TextField(_("text"), blank=True, editable=False)
    # Folded title, a newline, folded text (see textsearch.fold); what search reads.
    search_text = models.TextField(blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["article_id", "language"]
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="kb_one_per_language"),
        ]
        indexes = [models.Index(fields=["status", "language"], name="kb_translation_status")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleVote(models.Model):
    """ "Was this helpful?": one vote per article and voter (a user, or a browser session)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    language = models.CharField(_("language"), max_length=10)
    voter = models.CharField(max_length=80)  # "user:12" or "session:<hash>"
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="kb_one_vote_per_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"
