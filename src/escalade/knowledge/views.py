"""The agents' side of the knowledge base: find an article to link in a reply."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from escalade.core.decorators import agent_required
from escalade.knowledge import selectors
from escalade.knowledge.api import portal_url

PICKER_LIMIT = 8


@require_GET
@agent_required
def picker(request: HttpRequest) -> HttpResponse:
    """Search results for the reply form's "link an article" box (internal articles included,
    marked as such: their link opens for agents only)."""
    query = request.GET.get("q", "")[:300]
    language = request.GET.get("language", "") or translation.get_language() or ""
    hits = selectors.search(request.actor, query, language=language, limit=PICKER_LIMIT)
    items = [{"hit": hit, "url": portal_url(hit.article, hit.translation.language)} for hit in hits]
    return render(
        request, "knowledge/_picker_results.html", {"items": items, "query": query.strip()}
    )
