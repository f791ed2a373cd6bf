"""Translation for the pure modules: conditions, the escalation document, business calendars.

They stay free of framework imports, yet what they report is read by people in six languages.
`_` and `ngettext` mark messages for extraction (xgettext knows both names) and translate them at
run time with the functions the Django app installs at start (`core.apps`: Django's own); until
then, as in tests of a pure module alone, messages stay English.
"""

from __future__ import annotations

from collections.abc import Callable


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


_gettext: Callable[[str], str] = str
_ngettext: Callable[[str, str, int], str] = _english_plural


def use_translation(
    gettext: Callable[[str], str], ngettext_: Callable[[str, str, int], str]
) -> None:
    global _gettext, _ngettext
    _gettext, _ngettext = gettext, ngettext_


def _(message: str) -> str:
    return _gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _ngettext(singular, plural, n)
