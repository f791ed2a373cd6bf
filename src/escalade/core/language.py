"""Guess the language of a customer's text (pure Python, no Django).

Two entry points:

* ``detect_language(text, default=None)`` returns the project's language codes ("en", "nb",
  "tr", "it", "pl", "zh-hans") where they apply, another ISO 639-1 code for other
  languages, and ``default`` when the text is too short or the guess is not confident.
* ``choose_language(text, supported=..., fallbacks=..., default=...)`` always returns a
  language we *support*: the detected one when it is confident and supported, else the
  first of ``fallbacks`` (the customer's language, the organisation's, the mailbox's...)
  that is supported, else ``default``. This is what a ticket's language is set from.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples randomly; a fixed seed makes the same text give the same answer.
DetectorFactory.seed = 0

# langdetect codes that differ from ours.
_TO_PROJECT_CODE = {"no": "nb", "zh-cn": "zh-hans", "zh-tw": "zh-hans"}
# For choosing among *our* languages: a close relative counts for the language we speak.
# langdetect often reads Norwegian Bokmål as Danish ("Kan dere ringe meg i morgen?" -> da),
# and a Dane reads Bokmål without trouble.
_CLOSE_RELATIVES = {"da": "nb", "nn": "nb"}

# Below this many letters langdetect guesses wildly ("ok" -> Slovak, "hei" -> Dutch).
MIN_LETTERS = 12
# langdetect's probability is the share of its 7 random trials that agree; 5 of 7 (0.71)
# is a clear majority, 4 of 7 is a coin toss.
MIN_PROBABILITY = 0.70
# A short text (one sentence) is where langdetect goes wrong with confidence ("My order
# 5521 has not been delivered." -> Danish, 5 of 7 trials): there every trial must agree.
SHORT_TEXT_LETTERS = 40
SHORT_MIN_PROBABILITY = 0.99
# langdetect itself reads no more than this; the rest of a long mail changes nothing.
MAX_SCANNED_CHARS = 10_000

# Han ideographs (CJK unified + extension A + compatibility); kana and hangul mark
# Japanese and Korean, which also use Han characters.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
# CJK must be at least this share of the letters, so an English mail that quotes one
# Chinese name stays English.
_MIN_CJK_SHARE = 0.2

# URLs, addresses and numbers say nothing about the language and skew the guess.
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|\d+")

# The language an organisation's country most likely writes in, for the countries whose
# language we speak (used as a fallback only).
_COUNTRY_LANGUAGE = {
    "NO": "nb",
    "SJ": "nb",
    "TR": "tr",
    "IT": "it",
    "SM": "it",
    "VA": "it",
    "PL": "pl",
    "CN": "zh-hans",
    "SG": "zh-hans",
    "GB": "en",
    "IE": "en",
    "US": "en",
    "AU": "en",
    "NZ": "en",
}

# langdetect loads its profiles into a shared factory on first use; loading is not
# thread safe.
_detector_lock = threading.Lock()


@dataclass(frozen=True)
class Guess:
    code: str
    probability: float
    letters: int


def guess_language(text: str, *, relatives: dict[str, str] | None = None) -> Guess | None:
    """The most likely language of ``text`` and how sure we are, or None when unsure.

    ``relatives`` maps codes onto another one before the candidates' probabilities are
    added up (e.g. Danish onto Norwegian Bokmål).
    """
    text = _NOISE.sub(" ", (text or "")[:MAX_SCANNED_CHARS])
    letters = sum(1 for char in text if char.isalpha())
    if letters == 0:
        return None
    cjk = _cjk_language(text, letters)
    if cjk:
        # The script decides, however short the text.
        return Guess(cjk, 1.0, letters)
    if letters < MIN_LETTERS:
        return None
    try:
        with _detector_lock:
            candidates = detect_langs(text)
    except LangDetectException:
        return None
    totals: dict[str, float] = {}
    for candidate in candidates:
        code = _TO_PROJECT_CODE.get(candidate.lang, candidate.lang)
        code = (relatives or {}).get(code, code)
        totals[code] = totals.get(code, 0.0) + candidate.prob
    code, probability = max(totals.items(), key=lambda item: item[1])
    needed = SHORT_MIN_PROBABILITY if letters < SHORT_TEXT_LETTERS else MIN_PROBABILITY
    if probability < needed:
        return None
    return Guess(code, probability, letters)


def detect_language(text: str, default: str | None = None) -> str | None:
    """Return the language code of `text`, or `default` when unsure."""
    guess = guess_language(text)
    return guess.code if guess is not None else default


def normalise_code(code: str | None, supported: Iterable[str]) -> str | None:
    """``code`` as one of ``supported`` ("en-US" -> "en", "no" -> "nb", "zh-CN" ->
    "zh-hans"), or None when we do not speak it."""
    supported = {s.lower() for s in supported}
    code = (code or "").strip().lower().replace("_", "-")
    if not code:
        return None
    if code in supported:
        return code
    base = code.split("-")[0]
    if base == "zh":
        return "zh-hans" if "zh-hans" in supported else None
    if base in {"no", "nn", "nb"}:
        return "nb" if "nb" in supported else None
    return base if base in supported else None


def language_of_country(country: str | None) -> str | None:
    """The language most likely written in ``country`` (ISO 3166 alpha-2), among ours."""
    return _COUNTRY_LANGUAGE.get((country or "").strip().upper())


def choose_language(
    text: str,
    *,
    supported: Iterable[str],
    fallbacks: Iterable[str | None] = (),
    default: str,
) -> str:
    """A language we support for ``text``: the detected one if confident and supported,
    else the first supported of ``fallbacks``, else ``default``.

    A short or ambiguous text, or one in a language we do not speak, falls back: the
    customer's or organisation's language is a better guess than a detector's coin toss.
    """
    supported = tuple(supported)
    guess = guess_language(text, relatives=_CLOSE_RELATIVES)
    if guess is not None:
        code = normalise_code(guess.code, supported)
        if code is not None:
            return code
    for candidate in fallbacks:
        code = normalise_code(candidate, supported)
        if code is not None:
            return code
    return normalise_code(default, supported) or default


def _cjk_language(text: str, letters: int) -> str | None:
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    if (han + kana + hangul) / letters < _MIN_CJK_SHARE:
        return None
    if kana:
        return "ja"
    if hangul > han:
        return "ko"
    return "zh-hans"
