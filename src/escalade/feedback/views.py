"""Feedback pages in the portal's look: the survey from the mailed link, and the suggestion form."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from escalade.core import clock
from escalade.core.actors import actor_for
from escalade.core.errors import NotFound, ServiceError
from escalade.feedback import selectors, services
from escalade.feedback.models import Suggestion


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the survey mail: GET shows the form (a score in the link only preselects it;
    mail scanners open links), the POST answers — once. It speaks the language of the mail
    unless a signed-in customer chose theirs."""
    found = selectors.survey_by_token(token)
    if found is None:
        raise Http404
    if request.user.is_authenticated or not found.language:
        return _survey(request, token, found)
    with translation.override(found.language):
        return _survey(request, token, found)


def _survey(request: HttpRequest, token: str, found) -> HttpResponse:
    context = {
        "survey": found,
        "ticket": found.ticket,
        "scores": range(1, 6),
        "chosen": request.GET.get("score", ""),
        "closed": found.expires_at <= clock.now(),
    }
    if request.method == "POST":
        try:
            services.answer_by_token(
                token, score=request.POST.get("score"), comment=request.POST.get("comment", "")
            )
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:
            context["error"] = exc.message
            context["chosen"] = request.POST.get("score", "")
            return render(request, "feedback/survey.html", context, status=400)
        return redirect("feedback:survey", token=token)
    return render(request, "feedback/survey.html", context)


@require_http_methods(["GET", "POST"])
def suggestion(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not actor.is_customer:
        if request.user.is_authenticated:
            return redirect("queue")
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('portal:signin')}?{query}")
    context = {"kinds": Suggestion.Kind.choices, "kind": "idea", "text": ""}
    if request.method == "POST":
        try:
            services.submit_suggestion(
                actor, text=request.POST.get("text", ""), kind=request.POST.get("kind", "idea")
            )
        except ServiceError as exc:
            context.update(
                error=exc.message,
                kind=request.POST.get("kind", "idea"),
                text=request.POST.get("text", ""),
            )
            status = getattr(exc, "status_code", 400)
            return render(request, "feedback/suggestion.html", context, status=status)
        messages.success(request, _("Thank you! Your feedback reaches the team."))
        return redirect("feedback:suggestion")
    return render(request, "feedback/suggestion.html", context)
