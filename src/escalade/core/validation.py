"""Checks of what people type, shared by every service: each failure names the field."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from escalade.core.errors import Conflict, ValidationFailed


def text(value: str | None, field: str, *, max_length: int, required: bool = False) -> str:
    """Trimmed text without NUL bytes (PostgreSQL refuses them), within ``max_length``."""
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise ValidationFailed(_("%(field)s must not be empty") % {"field": field}, field=field)
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(field)s is longer than %(max)d characters") % {"field": field, "max": max_length},
            field=field,
        )
    return value


def choice(value: str, choices: type, field: str) -> str:
    """One of a ``TextChoices``' values."""
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationFailed(
            _("%(field)s: %(value)r is not one of %(allowed)s")
            % {"field": field, "value": value, "allowed": allowed},
            field=field,
        )
    return value


def email_address(value: str | None, field: str = "email") -> str:
    """A valid address, lower-cased."""
    value = (value or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationFailed(
            _("%(field)s: %(value)r is not an email address") % {"field": field, "value": value},
            field=field,
        ) from None
    return value


def time_zone(value: str, field: str = "timezone") -> str:
    """An IANA time zone name."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            _("%(field)s: %(value)r is not a known time zone") % {"field": field, "value": value},
            field=field,
        ) from None
    return value


def save_unique(instance: Model, conflict: str) -> Model:
    """Save; a unique key already taken is a 409 with ``conflict`` as its message."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise Conflict(conflict) from None
    return instance
