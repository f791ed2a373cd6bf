"""The knowledge base in the admin: the editor for articles and their translations.

Saving goes through ``knowledge.services`` (sanitised HTML, folded search text, the index), never
straight to the rows.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from escalade.core.actors import actor_for
from escalade.core.errors import ServiceError
from escalade.knowledge import services
from escalade.knowledge.models import Article, ArticleTranslation, ArticleVote, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "for_tickets")
    ordering = ("position", "slug")

    def save_model(self, request, obj, form, change):
        saved = services.save_category(
            actor_for(request.user),
            obj.pk if change else None,
            slug=obj.slug,
            name=obj.name,
            names=obj.names or {},
            position=obj.position,
            for_tickets=obj.for_tickets,
        )
        obj.pk = saved.pk


class TranslationForm(forms.ModelForm):
    class Meta:
        model = ArticleTranslation
        fields = ("language", "status", "title", "body_html")
        widgets = {"body_html": forms.Textarea(attrs={"rows": 12})}


class TranslationInline(admin.StackedInline):
    model = ArticleTranslation
    form = TranslationForm
    extra = 0
    readonly_fields = ("published_at", "updated_at", "updated_by")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "category",
        "visibility",
        "languages",
        "helpful_count",
        "not_helpful_count",
        "updated_at",
    )
    list_filter = ("visibility", "category", "translations__status", "translations__language")
    search_fields = ("slug", "translations__title")
    fields = ("slug", "category", "visibility", "helpful_count", "not_helpful_count")
    readonly_fields = ("helpful_count", "not_helpful_count")
    inlines = [TranslationInline]
    actions = ["rebuild_index"]

    @admin.display(description=_("languages"))
    def languages(self, obj: Article) -> str:
        return ", ".join(
            f"{t.language}{'' if t.is_published else '*'}" for t in obj.translations.all()
        )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    def save_model(self, request, obj, form, change):
        saved = services.save_article(
            actor_for(request.user),
            obj.pk if change else None,
            slug=obj.slug,
            category=obj.category,
            visibility=obj.visibility,
        )
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at

    def save_formset(self, request, form, formset, change):
        actor = actor_for(request.user)
        article = form.instance
        # What the admin's change message and history read (formset.save() would set them).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.forms:
            if not hasattr(inline, "cleaned_data") or not inline.cleaned_data:
                continue
            data = inline.cleaned_data
            original = inline.instance
            if data.get("DELETE"):
                if original.pk:
                    services.delete_translation(actor, article.pk, original.language)
                    formset.deleted_objects.append(original)
                continue
            if not inline.has_changed():
                continue
            if original.pk and original.language != data["language"]:
                services.delete_translation(actor, article.pk, original.language)
            is_new = original.pk is None
            saved = services.save_translation(
                actor,
                article.pk,
                data["language"],
                title=data["title"],
                body_html=data["body_html"],
                status=data["status"],
            )
            if is_new:
                formset.new_objects.append(saved)
            else:
                formset.changed_objects.append((saved, inline.changed_data))

    def delete_model(self, request, obj):
        services.delete_article(actor_for(request.user), obj.pk)

    def delete_queryset(self, request, queryset):
        actor = actor_for(request.user)
        for article in queryset:
            services.delete_article(actor, article.pk)

    @admin.action(description=_("Rebuild the search index"))
    def rebuild_index(self, request, queryset):
        try:
            count = services.rebuild_index(actor_for(request.user))
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            ngettext("%(count)d translation indexed.", "%(count)d translations indexed.", count)
            % {"count": count},
        )


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ("article", "language", "helpful", "created_at")
    list_filter = ("helpful", "language")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
