"""The customer portal: the knowledge base first, then sign-in, requests, replies, "ask for a
manager" and the satisfaction survey. Views parse, call a service, and show what happened."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from escalade.accounts.views import _client_address
from escalade.core import clock
from escalade.core.actors import actor_for
from escalade.core.errors import NotFound, PermissionDenied, RateLimited, ServiceError
from escalade.feedback import selectors as feedback_selectors
from escalade.feedback import services as feedback
from escalade.knowledge import selectors as knowledge
from escalade.knowledge import services as knowledge_services
from escalade.knowledge.models import ArticleVote, Category
from escalade.portal import selectors, services, uploads
from escalade.tickets.selectors import visible_ticket
from escalade.tickets.services import NewAttachment

SUGGESTIONS = 5


# --- helpers ----------------------------------------------------------------------------------


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def customer_required(view):
    """Portal pages of a signed-in customer: others go to sign-in; agents to their queue."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('portal:signin')}?{query}")
        actor = actor_for(request.user)
        if actor.is_agent:
            return redirect("queue")
        if not actor.is_customer:
            raise DjangoPermissionDenied
        request.actor = actor
        return view(request, *args, **kwargs)

    return wrapper


def _files(request: HttpRequest) -> list[NewAttachment]:
    return [
        NewAttachment(upload.name, upload.read(), upload.content_type or "")
        for upload in request.FILES.getlist("attachments")
    ]


def _time_zone(customer) -> str:
    if customer is not None and customer.organisation_id:
        return customer.organisation.timezone
    return settings.TIME_ZONE


# --- the knowledge base -------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    context = {
        "categories": [
            (category, category.name_in(_language()), count)
            for category, count in knowledge.categories(actor)
        ],
        "popular": knowledge.popular(actor, _language()),
        "open_tickets": (
            list(selectors.tickets_for(actor, state="open")[:5]) if actor.is_customer else []
        ),
    }
    return render(request, "portal/home.html", context)


@require_GET
def kb_search(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    query = request.GET.get("q", "")[:300].strip()
    hits = knowledge.search(actor, query, language=_language(), limit=20) if query else []
    return render(request, "portal/search.html", {"query": query, "hits": hits})


@require_GET
def kb_category(request: HttpRequest, slug: str) -> HttpResponse:
    actor = actor_for(request.user)
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404
    articles = knowledge.in_category(actor, category, _language())
    if not articles:
        raise Http404
    return render(
        request,
        "portal/category.html",
        {"category": category, "name": category.name_in(_language()), "articles": articles},
    )


def _voter(request: HttpRequest) -> str:
    """The voter of "was this helpful?": the user, or this browser's session (kept non-empty
    so that its cookie is set)."""
    if not request.user.is_authenticated:
        request.session["portal_visitor"] = True
        if not request.session.session_key:
            request.session.save()
    return knowledge_services.voter_key(user=request.user, session_key=request.session.session_key)


@require_GET
def article(request: HttpRequest, article_id: int, slug: str) -> HttpResponse:
    actor = actor_for(request.user)
    language = request.GET.get("lang", "") or _language()
    try:
        view = knowledge.article(actor, article_id, language)
    except NotFound:
        raise Http404 from None
    if view.article.slug != slug:
        url = reverse("portal:article", args=[article_id, view.article.slug])
        return redirect(f"{url}?lang={view.translation.language}")
    voted = None
    if request.user.is_authenticated or request.session.get("portal_visitor"):
        voted = ArticleVote.objects.filter(article=view.article, voter=_voter(request)).first()
    context = {
        "view": view,
        "translation": view.translation,
        "category_name": (
            view.article.category.name_in(_language()) if view.article.category_id else ""
        ),
        "voted": voted,
    }
    return render(request, "portal/article.html", context)


@require_POST
def article_vote(request: HttpRequest, article_id: int) -> HttpResponse:
    actor = actor_for(request.user)
    helpful = request.POST.get("helpful") == "yes"
    try:
        knowledge_services.vote(
            actor,
            article_id,
            helpful=helpful,
            voter=_voter(request),
            language=request.POST.get("language", ""),
        )
    except NotFound:
        raise Http404 from None
    target = services.safe_next(request.POST.get("next", ""))
    if request.POST.get("answered") == "yes":
        return redirect("portal:answered")
    messages.success(
        request,
        _("Thank you! Glad it helped.") if helpful else _("Thank you; we will improve it."),
    )
    if target:
        return redirect(target)
    return redirect("portal:home")


@require_GET
def answered(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/answered.html")


# --- signing in -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = services.safe_next(request.POST.get("next") or request.GET.get("next", ""))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or "portal:tickets")
    context = {"next": next_url, "email": request.POST.get("email", "")}
    if request.method == "GET":
        return render(request, "portal/signin.html", context)
    address = _client_address(request)
    try:
        if request.POST.get("method") == "password":
            user = services.sign_in_with_password(
                request,
                request.POST.get("email", ""),
                request.POST.get("password", ""),
                address=address,
            )
            login(request, user)
            if hasattr(user, "agent_profile"):
                return redirect("queue")
            return redirect(next_url or "portal:tickets")
        services.request_magic_link(
            request.POST.get("email", ""),
            address=address,
            next_url=next_url,
            language=_language(),
        )
    except RateLimited as exc:
        context["error"] = exc.message
        return render(request, "portal/signin.html", context, status=429)
    except ServiceError as exc:
        context["error"] = exc.message
        context["method"] = request.POST.get("method", "link")
        return render(request, "portal/signin.html", context, status=400)
    request.session["portal_link_sent_to"] = request.POST.get("email", "").strip()[:254]
    return redirect("portal:signin-sent")


@require_GET
def signin_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get("portal_link_sent_to", "")
    minutes = max(1, settings.MAGIC_LINK_TTL_SECONDS // 60)
    return render(request, "portal/signin_sent.html", {"email": email, "minutes": minutes})


@require_http_methods(["GET", "POST"])
def signin_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button (mail scanners open links; a GET must not use the link up);
    the POST from that button signs in."""
    if request.method == "GET":
        link = services.check_magic_link(token)
        status = 200 if link is not None else 410
        return render(request, "portal/signin_link.html", {"link": link}, status=status)
    try:
        user, next_url = services.consume_magic_link(token, address=_client_address(request))
    except RateLimited as exc:
        return render(
            request, "portal/signin_link.html", {"link": None, "error": exc.message}, status=429
        )
    except ServiceError as exc:
        return render(
            request, "portal/signin_link.html", {"link": None, "error": exc.message}, status=410
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop("portal_link_sent_to", None)
    return redirect(next_url or "portal:tickets")


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:home")


# --- requests ---------------------------------------------------------------------------------


@require_GET
@customer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in selectors.SCOPES else "mine"
    state = request.GET.get("state", "open")
    state = state if state in selectors.STATES else "open"
    context = {
        "tickets": selectors.tickets_for(actor, scope=scope, state=state)[:200],
        "scope": scope,
        "state": state,
        "organisation": selectors.can_see_organisation(actor),
    }
    return render(request, "portal/tickets.html", context)


@require_http_methods(["GET", "POST"])
@customer_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    """Search first ("did this answer your question?"), then the request form."""
    actor = request.actor
    customer = actor.customer
    data = request.POST if request.method == "POST" else request.GET
    subject = data.get("subject", "")[:500].strip()
    step = data.get("step", "")
    context = {
        "subject": subject,
        "body": data.get("body", ""),
        "category": data.get("category", ""),
        "categories": [(c.slug, c.name_in(_language())) for c in knowledge.ticket_categories()],
        "target_seconds": selectors.first_response_target(customer, data.get("category", "")),
        "max_files": uploads.MAX_FILES,
        "max_bytes": settings.ATTACHMENT_MAX_BYTES,
    }
    if request.method == "POST":
        try:
            ticket = services.submit_ticket(
                actor,
                subject=subject,
                body=request.POST.get("body", ""),
                category=request.POST.get("category", ""),
                attachments=_files(request),
            )
        except ServiceError as exc:
            context.update(step="details", error=exc.message, field=exc.field)
            status = 429 if isinstance(exc, RateLimited) else 400
            return render(request, "portal/new_ticket.html", context, status=status)
        messages.success(
            request,
            _("Thank you: we have your request #%(number)d and will answer soon.")
            % {"number": ticket.pk},
        )
        return redirect("portal:ticket", ticket_id=ticket.pk)
    if not subject:
        context["step"] = "ask"
    elif step == "details":
        context["step"] = "details"
    else:
        hits = knowledge.search(actor, subject, language=_language(), limit=SUGGESTIONS)
        context.update(step="suggest" if hits else "details", hits=hits)
    return render(request, "portal/new_ticket.html", context)


def _ticket_or_404(request: HttpRequest, ticket_id: int):
    try:
        return visible_ticket(request.actor, ticket_id)
    except NotFound:
        raise Http404 from None


@require_GET
@customer_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = request.actor
    ticket = _ticket_or_404(request, ticket_id)
    own = ticket.customer_id == actor.customer.pk
    survey = feedback_selectors.survey_for(ticket)
    manager_request = selectors.manager_request(ticket)
    context = {
        "ticket": ticket,
        "own": own,
        "thread": selectors.thread(actor, ticket),
        "expectation": selectors.expectation(ticket),
        "manager_request": manager_request,
        "can_ask_manager": own
        and ticket.is_open
        and (manager_request is None or manager_request.state != "pending"),
        "survey": survey,
        "survey_open": bool(
            own and survey and not survey.is_answered and survey.expires_at > clock.now()
        ),
        "time_zone": _time_zone(actor.customer),
        "max_files": uploads.MAX_FILES,
        "scores": range(1, 6),
    }
    return render(request, "portal/ticket.html", context)


def _act(request: HttpRequest, ticket_id: int, action, success: str) -> HttpResponse:
    try:
        result = action()
    except NotFound:
        raise Http404 from None
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("portal:ticket", ticket_id=ticket_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("portal:ticket", ticket_id=ticket_id)
    messages.success(request, success)
    target = getattr(result, "ticket_id", None) or ticket_id
    return redirect("portal:ticket", ticket_id=target)


@require_POST
@customer_required
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda: services.reply(
            request.actor, ticket_id, body=request.POST.get("body", ""), attachments=_files(request)
        ),
        _("Your reply was sent."),
    )


@require_POST
@customer_required
def ticket_manager(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def ask():
        services.ask_for_manager(request.actor, ticket_id, reason=request.POST.get("reason", ""))

    return _act(
        request,
        ticket_id,
        ask,
        _("Your request for a manager was passed on. A manager will look at it shortly."),
    )


@require_POST
@customer_required
def ticket_survey(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def answer():
        feedback.answer_for_ticket(
            request.actor,
            ticket_id,
            score=request.POST.get("score"),
            comment=request.POST.get("comment", ""),
        )

    return _act(request, ticket_id, answer, _("Thank you for your feedback!"))


# --- the customer's settings ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_required
def account(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    status = 200
    if request.method == "POST":
        try:
            services.set_password(
                actor, request.POST.get("password", ""), request.POST.get("confirm", "")
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            update_session_auth_hash(request, actor.user)
            messages.success(request, _("Your password was saved."))
            return redirect("portal:account")
    context = {"customer": actor.customer, "has_password": actor.user.has_usable_password()}
    return render(request, "portal/account.html", context, status=status)


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: a signed-in customer's choice is saved on their profile; for
    everyone else (and as the cookie) Django's own ``set_language`` decides."""
    actor = actor_for(request.user)
    language = request.POST.get("language", "")
    if actor.is_customer and language in dict(settings.LANGUAGES):
        services.set_language(actor, language)
    return set_language(request)
