"""Condition matching shared by SLA policies, routing rules, escalation paths and rules.

A condition set is a dict of optional keys, each holding a list of accepted values
(any of them matches); every key present must match. An empty set matches every ticket.
Facts are a plain dict describing one ticket, so this module never touches the database.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from escalade.core.messages import _

PRIORITIES = ("low", "normal", "high", "urgent")
ORG_TIERS = ("standard", "premium", "vip")
CHANNELS = ("email", "chat", "phone", "social", "portal", "api")

# Keys whose fact is a single value compared for equality (case-insensitively).
_SINGLE_VALUE_KEYS = ("priority", "org_tier", "channel", "team", "category")
CONDITION_KEYS = (
    *_SINGLE_VALUE_KEYS,
    "tags_any",
    "tags_all",
    "language",
    "keywords",
    "customer",
)
_VOCABULARIES = {"priority": PRIORITIES, "org_tier": ORG_TIERS, "channel": CHANNELS}

# Whole-value patterns: use with fullmatch.
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
SLUG_HINT = _("lower-case letters, digits, '-' and '_', e.g. billing-l1")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]+)*")
_DOMAIN = re.compile(r"@[^@\s]+\.[^@\s]+")

# Letters that do not decompose under NFKD but that people routinely type without the mark.
# Folding the Turkish dotless ı to i makes "YÖNETİCİ", "yönetici" and "yonetici" equal.
_FOLD_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "æ": "ae", "đ": "d", "ð": "d"})

# Scripts written without spaces between words: keywords match anywhere in them.
_UNSPACED_SCRIPT = re.compile(
    r"[\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


@functools.lru_cache(maxsize=256)
def fold_text(text: str) -> str:
    """Lower-case, strip diacritics and collapse whitespace, for forgiving text matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.casefold().translate(_FOLD_LETTERS).split())


@functools.lru_cache(maxsize=1024)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    folded = fold_text(keyword)
    words = r"\s+".join(re.escape(word) for word in folded.split())
    if _UNSPACED_SCRIPT.search(folded):
        return re.compile(words)
    # Anchored at the start of a word only, so "faktura" also finds "fakturaen" and
    # "fatura" finds "faturamı": inflected forms are the norm in nb, tr, pl.
    return re.compile(r"(?<!\w)" + words)


def keyword_in(keyword: str, folded_text: str) -> bool:
    """Whether `keyword` occurs in text already passed through `fold_text`."""
    return _keyword_pattern(keyword).search(folded_text) is not None


@dataclass(frozen=True)
class MatchResult:
    matched: bool
    reasons: list[str] = field(default_factory=list)


T = TypeVar("T")


@dataclass(frozen=True)
class FirstMatch(Generic[T]):
    item: T | None
    result: MatchResult | None
    skipped: list[tuple[T, MatchResult]]


def _listing(values: Sequence[str]) -> str:
    return ", ".join(values)


def _language_matches(wanted: str, actual: str) -> bool:
    # "zh" accepts "zh-hans"; "zh-hans" does not accept "zh-hant".
    return actual == wanted or actual.startswith(wanted + "-")


def _customer_matches(wanted: str, actual: str) -> bool:
    return actual.endswith(wanted) if wanted.startswith("@") else actual == wanted


def _check(key: str, values: Sequence[str], facts: Mapping[str, Any]) -> tuple[bool, str]:
    """One condition: (passed, human-readable reason)."""
    accepted = _listing(values)
    if key in ("tags_any", "tags_all"):
        tags = {str(t).lower() for t in facts.get("tags") or ()}
        wanted = [v.lower() for v in values]
        if key == "tags_any":
            present = next((w for w in wanted if w in tags), None)
            if present is not None:
                return True, _("tag %(tag)s present (any of %(accepted)s)") % {
                    "tag": present,
                    "accepted": accepted,
                }
            return False, _("none of the tags %(accepted)s present") % {"accepted": accepted}
        missing = [w for w in wanted if w not in tags]
        if missing:
            return False, _("tag %(tags)s missing (all of %(accepted)s required)") % {
                "tags": _listing(missing),
                "accepted": accepted,
            }
        return True, _("all tags %(accepted)s present") % {"accepted": accepted}
    if key == "keywords":
        text = fold_text(str(facts.get("text") or ""))
        found = next((k for k in values if keyword_in(k, text)), None)
        if found is not None:
            return True, _("keyword '%(keyword)s' found in text") % {"keyword": found}
        return False, _("none of the keywords %(accepted)s found in text") % {"accepted": accepted}
    label = key.replace("_", " ")
    actual = facts.get(key)
    if not actual:
        return False, _("%(label)s is not set (wanted one of %(accepted)s)") % {
            "label": label,
            "accepted": accepted,
        }
    actual = str(actual).lower()
    wanted = [v.lower() for v in values]
    if key == "language":
        passed = any(_language_matches(w, actual) for w in wanted)
    elif key == "customer":
        passed = any(_customer_matches(w, actual) for w in wanted)
    else:
        passed = actual in wanted
    if passed:
        return True, _("%(label)s is %(actual)s (one of %(accepted)s)") % {
            "label": label,
            "actual": actual,
            "accepted": accepted,
        }
    return False, _("%(label)s is %(actual)s, not one of %(accepted)s") % {
        "label": label,
        "actual": actual,
        "accepted": accepted,
    }


def match(conditions: Mapping[str, Sequence[str]], facts: Mapping[str, Any]) -> MatchResult:
    """Every present condition must pass.

    Matched: one reason per condition. Not matched: the reasons of the failed conditions only.
    """
    if not conditions:
        return MatchResult(True, [_("no conditions (matches every ticket)")])
    checks = [_check(key, values, facts) for key, values in conditions.items()]
    failed = [reason for passed, reason in checks if not passed]
    if failed:
        return MatchResult(False, failed)
    return MatchResult(True, [reason for _, reason in checks])


def _when(item: Any) -> Mapping[str, Sequence[str]]:
    return item["when"] if isinstance(item, Mapping) else item.when


def first_match(
    items: Iterable[T],
    facts: Mapping[str, Any],
    conditions_of: Callable[[T], Mapping[str, Sequence[str]]] = _when,
) -> FirstMatch[T]:
    """Ordered list, first match wins; the skipped items keep their failure reasons."""
    skipped: list[tuple[T, MatchResult]] = []
    for item in items:
        result = match(conditions_of(item), facts)
        if result.matched:
            return FirstMatch(item, result, skipped)
        skipped.append((item, result))
    return FirstMatch(None, None, skipped)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close choice exists, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _(" (did you mean '%(word)s'?)") % {"word": close[0]} if close else ""


@dataclass(frozen=True)
class ConditionError:
    """A validation error located by condition key and list index (None where not applicable)."""

    key: str | None
    index: int | None
    message: str


def is_single_line(text: str) -> bool:
    """No control characters or line breaks: a label that survives YAML and HTML intact."""
    return not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def _value_error(key: str, value: str) -> str | None:
    if not is_single_line(value):
        return _("%(value)r must be one line of text without control characters") % {"value": value}
    if key in _VOCABULARIES:
        allowed = _VOCABULARIES[key]
        if value not in allowed:
            hint = did_you_mean(value, allowed) or _(" (use one of %(allowed)s)") % {
                "allowed": _listing(allowed)
            }
            return _("unknown value '%(value)s'%(hint)s") % {"value": value, "hint": hint}
    elif key in ("team", "category", "tags_any", "tags_all"):
        if not SLUG.fullmatch(value):
            return _("'%(value)s' is not a valid name (%(hint)s)") % {
                "value": value,
                "hint": _(SLUG_HINT),
            }
    elif key == "language":
        if not _LANGUAGE.fullmatch(value):
            return _("'%(value)s' is not a language code (e.g. nb, tr, zh-hans)") % {"value": value}
    elif key == "customer":
        if not (EMAIL.fullmatch(value) or _DOMAIN.fullmatch(value)):
            return _("'%(value)s' is not an e-mail address or @domain") % {"value": value}
    elif key == "keywords" and not value.strip():
        return _("a keyword must not be blank")
    return None


def condition_errors(conditions: Any) -> list[ConditionError]:
    """Every problem in a condition set, located by key and index; [] when valid."""
    if not isinstance(conditions, Mapping):
        return [
            ConditionError(None, None, _("must be a mapping of condition name to list of values"))
        ]
    errors: list[ConditionError] = []
    for key, values in conditions.items():
        if key not in CONDITION_KEYS:
            hint = did_you_mean(str(key), CONDITION_KEYS)
            errors.append(
                ConditionError(str(key), None, _("unknown condition%(hint)s") % {"hint": hint})
            )
            continue
        if not isinstance(values, list | tuple):
            errors.append(
                ConditionError(
                    key,
                    None,
                    _("must be a list, e.g. %(key)s: [%(values)s]")
                    % {"key": key, "values": values},
                )
            )
            continue
        if not values:
            message = _("an empty list matches nothing (leave the key out to match every ticket)")
            errors.append(ConditionError(key, None, message))
            continue
        for index, value in enumerate(values):
            error = (
                _("%(value)r must be text") % {"value": value}
                if not isinstance(value, str)
                else None
            )
            error = error or _value_error(key, value)
            if error:
                errors.append(ConditionError(key, index, error))
    return errors


def validate_conditions(conditions: Any) -> list[str]:
    """Errors in a condition set, each naming the bad key or value; [] when valid."""
    return [
        f"{error.key}: {error.message}" if error.key else error.message
        for error in condition_errors(conditions)
    ]
