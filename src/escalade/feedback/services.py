"""Feedback actions: the satisfaction survey of a solved ticket (sent once, answered once, a
low score flagged to the team's supervisor) and suggestions from the portal."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from escalade.core import clock, outbox
from escalade.core.actors import Actor, actor_for, system
from escalade.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from escalade.feedback.models import Suggestion, Survey
from escalade.tickets.models import Ticket
from escalade.tickets.selectors import visible_tickets
from escalade.tickets.services import record_event

FEEDBACK = system("feedback")
LOW_SCORE = 2
MAX_COMMENT = 5000
SUGGESTION_LIMIT = 10  # per customer within the portal's rate window


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def survey_url(token: str) -> str:
    return f"{settings.BASE_URL}/portal/survey/{token}/"


def _mail_language(ticket: Ticket) -> str:
    from escalade.mail.outbound import mail_language

    return mail_language(ticket)


def send_survey(ticket: Ticket) -> Survey | None:
    """Create the ticket's survey and mail it (runs in the transaction that solved it).

    One survey per ticket: a ticket solved again after a reopen is not asked twice.
    """
    if Survey.objects.filter(ticket_id=ticket.pk).exists():
        return None
    customer = ticket.customer
    token = secrets.token_urlsafe(24)
    now = clock.now()
    language = _mail_language(ticket)
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                ticket=ticket,
                customer=customer,
                team_id=ticket.team_id,
                assignee_id=ticket.assignee_id,
                token_hash=hash_token(token),
                language=language,
                sent_at=now,
                expires_at=now + timedelta(days=settings.SURVEY_TTL_DAYS),
            )
    except IntegrityError:
        return None  # a concurrent solve created it
    record_event(ticket, FEEDBACK, "survey_sent", after={"survey": survey.pk})
    if customer.email:
        url = survey_url(token)
        with translation.override(language):
            context = {
                "ticket": ticket,
                "number": ticket.pk,
                "name": customer.name,
                "url": url,
                "scores": [(n, f"{url}?score={n}") for n in range(1, 6)],
                "portal_url": f"{settings.BASE_URL}/portal/tickets/{ticket.pk}/",
            }
            outbox.enqueue(
                "email",
                f"feedback:survey:{ticket.pk}",
                {
                    "to": [customer.email],
                    "subject": _("[#%(number)d] How did we do?") % {"number": ticket.pk},
                    "text": render_to_string("feedback/email/survey.txt", context),
                    "html": render_to_string("feedback/email/survey.html", context),
                },
                ticket=ticket,
            )
    return survey


def _score(value) -> int:
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5 or isinstance(value, bool):
        raise ValidationFailed(_("score: choose from 1 to 5"), field="score")
    return score


def _comment(value: str) -> str:
    value = (value or "").replace("\x00", "").strip()
    if len(value) > MAX_COMMENT:
        raise ValidationFailed(
            _("comment is longer than %(max)d characters") % {"max": MAX_COMMENT},
            field="comment",
        )
    return value


def _answer(survey: Survey, actor: Actor, score, comment: str) -> Survey:
    score = _score(score)
    comment = _comment(comment)
    now = clock.now()
    if survey.answered_at is not None:
        raise Conflict(_("This survey was already answered. Thank you!"))
    if survey.expires_at <= now:
        raise Conflict(_("This survey has closed."))
    flagged = score <= LOW_SCORE
    # Compare-and-set: of two answers racing, one wins and the other is refused.
    updated = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        answered_at=now, score=score, comment=comment, flagged=flagged
    )
    if updated != 1:
        raise Conflict(_("This survey was already answered. Thank you!"))
    survey.refresh_from_db()
    ticket = survey.ticket
    record_event(
        ticket,
        actor,
        "survey_answered",
        after={"score": score, "flagged": flagged},
        note=comment[:1000],
    )
    if flagged:
        _flag_low_score(survey)
    return survey


def _flag_low_score(survey: Survey) -> None:
    """Tell the team's supervisor in the app (and by mail) through the escalation notifier."""
    from escalade.escalation.notify import Event, notify
    from escalade.escalation.people import supervisor_of

    ticket = survey.ticket
    supervisor = supervisor_of(ticket)
    language = settings.LANGUAGE_CODE
    profile = getattr(supervisor, "agent_profile", None) if supervisor is not None else None
    if profile is not None and profile.ui_language:
        language = profile.ui_language
    with translation.override(language):
        title = _("Low satisfaction score %(score)d/5 on #%(number)d") % {
            "score": survey.score,
            "number": ticket.pk,
        }
        body = survey.comment or _("(no comment)")
        notify(
            ticket,
            ["supervisor"],
            Event(key=f"csat_low:{survey.pk}", kind="csat_low", title=title, body=body),
        )


def _survey_actor(survey: Survey) -> Actor:
    customer = survey.customer
    if customer.user is not None:
        return actor_for(customer.user)
    return system(f"customer:{customer.email or customer.pk}")


@transaction.atomic
def answer_by_token(token: str, *, score, comment: str = "") -> Survey:
    """The answer from the survey link in the mail (no sign-in needed: the token is the key)."""
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("ticket", "customer__user")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if survey is None:
        raise NotFound(_("This survey link is not valid."))
    return _answer(survey, _survey_actor(survey), score, comment)


@transaction.atomic
def answer_for_ticket(actor: Actor, ticket_id: int, *, score, comment: str = "") -> Survey:
    """The answer in the portal, by the customer whose request it was."""
    if not actor.is_customer:
        raise PermissionDenied(_("Only the customer answers the survey."))
    ticket = visible_tickets(actor).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("Ticket %(id)s not found") % {"id": ticket_id})
    if ticket.customer_id != actor.customer.pk:
        raise PermissionDenied(_("Only the person who opened this request can do this."))
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("ticket", "customer__user")
        .filter(ticket=ticket)
        .first()
    )
    if survey is None:
        raise NotFound(_("There is no survey for this request yet."))
    return _answer(survey, actor, score, comment)


# --- suggestions -----------------------------------------------------------------------------


@transaction.atomic
def submit_suggestion(actor: Actor, *, text: str, kind: str = Suggestion.Kind.IDEA) -> Suggestion:
    if not actor.is_customer:
        raise PermissionDenied(_("Sign in to send us feedback."))
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationFailed(_("text: tell us your idea"), field="text")
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(
            _("text is longer than %(max)d characters") % {"max": MAX_COMMENT}, field="text"
        )
    if kind not in Suggestion.Kind.values:
        raise ValidationFailed(
            _("kind: must be one of %(values)s") % {"values": ", ".join(Suggestion.Kind.values)},
            field="kind",
        )
    now = clock.now()
    since = now - timedelta(seconds=settings.PORTAL_RATE_WINDOW_SECONDS)
    if (
        Suggestion.objects.filter(customer=actor.customer, created_at__gte=since).count()
        >= SUGGESTION_LIMIT
    ):
        raise RateLimited(
            _("You have sent a lot in a short time; please wait a while and try again.")
        )
    return Suggestion.objects.create(
        customer=actor.customer,
        email=actor.customer.email or "",
        kind=kind,
        text=text,
        language=translation.get_language() or "",
        created_at=now,
    )


@transaction.atomic
def mark_suggestion_reviewed(actor: Actor, suggestion_id: int) -> Suggestion:
    actor.require_agent()
    suggestion = Suggestion.objects.select_for_update().filter(pk=suggestion_id).first()
    if suggestion is None:
        raise NotFound()
    suggestion.status = Suggestion.Status.REVIEWED
    suggestion.reviewed_by = actor.user
    suggestion.save(update_fields=["status", "reviewed_by"])
    return suggestion
