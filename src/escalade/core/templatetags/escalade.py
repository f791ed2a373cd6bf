from datetime import datetime

from django import template
from django.utils.translation import gettext as _

from escalade.core import clock

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    """Business seconds as people read them: "2 h 05 min", "overdue by 15 min"."""
    if seconds is None:
        return "—"
    overdue = seconds < 0
    minutes = abs(int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)d min") % {"m": minutes}
    return _("overdue by %(time)s") % {"time": text} if overdue else text


@register.filter
def time_left(due: datetime | None) -> str:
    """Wall-clock time until ``due`` (negative: overdue), as :func:`duration` writes it."""
    if due is None:
        return "—"
    return duration(int((due - clock.now()).total_seconds()))


@register.filter
def seconds_until(due: datetime | None) -> int | None:
    if due is None:
        return None
    return int((due - clock.now()).total_seconds())


@register.filter
def level(number: int | None) -> str:
    """A support level as people say it: "L2" in English, "N2" in Italian."""
    if number is None:
        return "—"
    return _("L%(n)d") % {"n": number}


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from escalade.workspace.selectors import unread_count

    return unread_count(user)


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (``None`` when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def person(user) -> str:
    """A user as people call them: the full name, else the username ("" for nobody)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago, in the largest unit only ("3 days", "5 hours"), in the reader's language."""
    if moment is None:
        return "—"
    from django.utils.timesince import timesince

    return timesince(moment, clock.now(), depth=1)
