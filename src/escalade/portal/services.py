"""Portal actions: sign-in links, password sign-in, a customer's requests, replies, asking
for a manager, and their own settings.

Each action checks who acts, limits how often, writes through the owning services (tickets,
escalation) in one transaction, and sends mail through the outbox.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from escalade.accounts import services as accounts
from escalade.accounts.models import AgentProfile, Customer
from escalade.core import clock, outbox, validation
from escalade.core.actors import Actor, system
from escalade.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from escalade.knowledge.selectors import ticket_categories
from escalade.portal import uploads
from escalade.portal.models import MagicLink
from escalade.tickets import services as tickets
from escalade.tickets.models import Channel, Message, Ticket
from escalade.tickets.selectors import visible_tickets

SIGNUP = system("portal:signup")
LINK_KEY = "magic:"
TOKEN_KEY = "magic-token:"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _language(value: str) -> str:
    try:
        return translation.get_supported_language_variant((value or "").lower())
    except LookupError:
        return settings.LANGUAGE_CODE


def safe_next(url: str) -> str:
    """A same-site path to go to after signing in, or ""."""
    url = (url or "").strip()
    if not url.startswith("/") or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return ""
    return url[:500]


def _is_staff_address(email: str) -> bool:
    return AgentProfile.objects.filter(user__email__iexact=email).exists()


# --- signing in ------------------------------------------------------------------------------


@transaction.atomic
def request_magic_link(
    email: str, *, address: str, next_url: str = "", language: str = ""
) -> MagicLink | None:
    """Mail a one-time sign-in link to ``email`` if it may have one.

    The answer is the same whether or not the address is known (the caller shows one message
    for both); requests are limited per address and per client like failed sign-ins.
    Returns the link for tests and logs, never to the person asking.
    """
    email = validation.email_address(email)
    key = LINK_KEY + email
    accounts.check_login_allowed(key, address)
    accounts.record_failed_login(key, address)  # every request counts towards the limit
    customer = Customer.objects.filter(email=email).select_related("user").first()
    if customer is None and not settings.PORTAL_SIGNUP:
        return None
    if _is_staff_address(email):
        return None  # agents sign in with their password
    user = customer.user if customer is not None else None
    if user is not None and (not user.is_active or hasattr(user, "agent_profile")):
        return None
    language = _language(
        (customer.language if customer is not None and customer.language else "") or language
    )
    token = secrets.token_urlsafe(32)
    now = clock.now()
    link = MagicLink.objects.create(
        email=email,
        customer=customer,
        token_hash=_hash(token),
        language=language,
        next_url=safe_next(next_url),
        requested_from=address[:64],
        created_at=now,
        expires_at=now + timedelta(seconds=settings.MAGIC_LINK_TTL_SECONDS),
    )
    url = f"{settings.BASE_URL}/portal/signin/{token}/"
    minutes = max(1, settings.MAGIC_LINK_TTL_SECONDS // 60)
    with translation.override(language):
        context = {"url": url, "minutes": minutes, "name": customer.name if customer else ""}
        outbox.enqueue(
            "email",
            f"portal:magic-link:{link.pk}",
            {
                "to": [email],
                "subject": _("Your sign-in link"),
                "text": render_to_string("portal/email/magic_link.txt", context),
                "html": render_to_string("portal/email/magic_link.html", context),
            },
        )
    return link


def check_magic_link(token: str) -> MagicLink | None:
    """The unused, unexpired link a token belongs to (no change), or None."""
    link = MagicLink.objects.filter(token_hash=_hash(token or "")).first()
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        return None
    return link


def consume_magic_link(token: str, *, address: str):
    """Use a sign-in link once: returns ``(user, next_url)`` to sign in.

    The customer (and their user, without a usable password) is created on first sign-in.
    A wrong, used or expired token counts as a failed sign-in of the client's address.
    """
    key = TOKEN_KEY + address
    accounts.check_login_allowed(key, address)
    result = _consume(token)
    if result is None:
        with transaction.atomic():
            accounts.record_failed_login(key, address)
        raise ValidationFailed(
            _(
                "This sign-in link is not valid any more: it was used, it expired, or it is wrong. Ask for a new one."
            ),
            field="token",
        )
    return result


@transaction.atomic
def _consume(token: str):
    link = MagicLink.objects.select_for_update().filter(token_hash=_hash(token or "")).first()
    now = clock.now()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    # This link and every other open link of the address die now.
    MagicLink.objects.filter(email=link.email, used_at__isnull=True).update(used_at=now)
    customer = Customer.objects.select_for_update().filter(email=link.email).first()
    if customer is None:
        if not settings.PORTAL_SIGNUP:
            return None
        customer = accounts.create_customer(
            SIGNUP, name=link.email.partition("@")[0], email=link.email, language=link.language
        )
    user = customer.user
    if user is None:
        user = _portal_user(customer)
    if not user.is_active or hasattr(user, "agent_profile"):
        return None
    accounts.clear_failed_logins(LINK_KEY + link.email)
    return user, link.next_url


def _portal_user(customer: Customer):
    """A Django user for a customer who has none yet (no usable password)."""
    User = get_user_model()
    username = customer.email or f"customer-{customer.pk}"
    if User.objects.filter(username=username).exists():
        username = f"{username[:130]}-{secrets.token_hex(4)}"
    first, _sep, last = customer.name.partition(" ")
    user = User.objects.create_user(
        username=username,
        email=customer.email or "",
        password=None,
        first_name=first[:150],
        last_name=last[:150],
    )
    customer.user = user
    customer.save(update_fields=["user"])
    return user


def sign_in_with_password(request, email: str, password: str, *, address: str):
    """The optional password sign-in; limited like the agents' sign-in."""
    email = (email or "").strip().lower()
    accounts.check_login_allowed(email, address)
    user = authenticate(request, username=email, password=password)
    if user is None:
        customer = Customer.objects.filter(email=email).select_related("user").first()
        if customer is not None and customer.user is not None:
            user = authenticate(request, username=customer.user.username, password=password)
    if user is None:
        with transaction.atomic():
            accounts.record_failed_login(email, address)
        raise ValidationFailed(_("The email address or the password is wrong."), field="password")
    accounts.clear_failed_logins(email)
    return user


# --- the customer's own settings -------------------------------------------------------------


def _customer(actor: Actor) -> Customer:
    if not actor.is_customer:
        raise PermissionDenied(_("Only customers use the portal."))
    return actor.customer


@transaction.atomic
def set_language(actor: Actor, language: str) -> Customer:
    customer = _customer(actor)
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("language: not a supported language"), field="language")
    Customer.objects.filter(pk=customer.pk).update(language=language)
    customer.language = language
    return customer


@transaction.atomic
def set_password(actor: Actor, password: str, confirm: str) -> None:
    """Let a customer also sign in with a password (optional; links keep working)."""
    _customer(actor)
    if password != confirm:
        raise ValidationFailed(_("The two passwords are not the same."), field="password")
    try:
        password_validation.validate_password(password, actor.user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from None
    actor.user.set_password(password)
    actor.user.save(update_fields=["password"])


# --- requests --------------------------------------------------------------------------------


def _checked(files: Sequence[tickets.NewAttachment]) -> list[tickets.NewAttachment]:
    if len(files) > uploads.MAX_FILES:
        raise ValidationFailed(
            _("attachments: at most %(n)d files at a time") % {"n": uploads.MAX_FILES},
            field="attachments",
        )
    checked = []
    for item in files:
        try:
            result = uploads.check(item.filename, item.content)
        except uploads.UploadRejected as exc:
            reasons = {
                "no_name": _("the file has no name"),
                "refused_type": _("programs, scripts and web pages are not accepted"),
                "empty": _("the file is empty"),
                "program": _("programs and scripts are not accepted"),
                "mismatch": _("its content does not match its name"),
            }
            raise ValidationFailed(
                _("attachments: %(name)s was refused: %(reason)s")
                % {"name": exc.filename, "reason": reasons.get(exc.code, exc.code)},
                field="attachments",
            ) from None
        checked.append(tickets.NewAttachment(result.filename, item.content, result.content_type))
    return checked


def _within_limit(count: int, limit: int) -> None:
    if count >= limit:
        raise RateLimited(
            _("You have sent a lot in a short time; please wait a while and try again.")
        )


def _since():
    return clock.now() - timedelta(seconds=settings.PORTAL_RATE_WINDOW_SECONDS)


def own_ticket(actor: Actor, ticket_id: int) -> Ticket:
    """A ticket the customer opened: 404 if they cannot see it, 403 if it is a colleague's
    (an organisation admin sees them, but does not write on them)."""
    customer = _customer(actor)
    ticket = visible_tickets(actor).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("Ticket %(id)s not found") % {"id": ticket_id})
    if ticket.customer_id != customer.pk:
        raise PermissionDenied(_("Only the person who opened this request can do this."))
    return ticket


@transaction.atomic
def submit_ticket(
    actor: Actor,
    *,
    subject: str,
    body: str,
    category: str = "",
    attachments: Sequence[tickets.NewAttachment] = (),
) -> Ticket:
    """Open a request from the portal (after the customer searched the knowledge base)."""
    customer = _customer(actor)
    _within_limit(
        Ticket.objects.filter(
            customer=customer, channel=Channel.PORTAL, created_at__gte=_since()
        ).count(),
        settings.PORTAL_TICKET_LIMIT,
    )
    if not (body or "").strip():
        raise ValidationFailed(_("description: tell us what happened"), field="body")
    if category and not ticket_categories().filter(slug=category).exists():
        raise ValidationFailed(
            _("category: %(value)r is not one of the offered categories") % {"value": category},
            field="category",
        )
    return tickets.create_ticket(
        actor,
        subject=subject,
        body_text=body,
        channel=Channel.PORTAL,
        category=category,
        attachments=_checked(attachments),
    )


@transaction.atomic
def reply(
    actor: Actor,
    ticket_id: int,
    *,
    body: str,
    attachments: Sequence[tickets.NewAttachment] = (),
) -> Message:
    """The customer answers on their request (a closed one opens a follow-up request)."""
    customer = _customer(actor)
    ticket = own_ticket(actor, ticket_id)
    _within_limit(
        Message.objects.filter(
            author_customer=customer,
            author_user__isnull=True,
            channel=Channel.PORTAL,
            created_at__gte=_since(),
        ).count(),
        settings.PORTAL_MESSAGE_LIMIT,
    )
    return tickets.add_message(
        actor,
        ticket.pk,
        body_text=body,
        channel=Channel.PORTAL,
        attachments=_checked(attachments),
    )


@transaction.atomic
def ask_for_manager(actor: Actor, ticket_id: int, *, reason: str):
    """ "Ask for a manager": a ``customer_request`` hierarchical escalation by the engine."""
    from escalade.escalation.services import request_manager

    ticket = own_ticket(actor, ticket_id)
    return request_manager(actor, ticket.pk, reason=reason, source="portal")
