"""Guess the language of a customer's text (pure Python, no Django).

Returns the project's language codes ("en", "nb", "tr", "it", "pl", "zh-hans") where
they apply, another ISO 639-1 code for other languages, and `default` when the text is
too short or the guess is not confident.
"""

import re
import threading

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples randomly; a fixed seed makes the same text give the same answer.
DetectorFactory.seed = 0

# langdetect codes that differ from ours.
_TO_PROJECT_CODE = {"no": "nb", "zh-cn": "zh-hans", "zh-tw": "zh-hans"}

# Below this many letters langdetect guesses wildly ("ok" -> Slovak, "hei" -> Dutch).
MIN_LETTERS = 12
# langdetect's probability is the share of its 7 random trials that agree; 5 of 7 (0.71)
# is a clear majority, 4 of 7 is a coin toss.
MIN_PROBABILITY = 0.70
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

# langdetect loads its profiles into a shared factory on first use; loading is not
# thread safe.
_detector_lock = threading.Lock()


def detect_language(text: str, default: str | None = None) -> str | None:
    """Return the language code of `text`, or `default` when unsure."""
    text = _NOISE.sub(" ", (text or "")[:MAX_SCANNED_CHARS])
    letters = sum(1 for char in text if char.isalpha())
    if letters == 0:
        return default
    cjk = _cjk_language(text, letters)
    if cjk:
        return cjk
    if letters < MIN_LETTERS:
        return default
    try:
        with _detector_lock:
            candidates = detect_langs(text)
    except LangDetectException:
        return default
    best = candidates[0]
    if best.prob < MIN_PROBABILITY:
        return default
    return _TO_PROJECT_CODE.get(best.lang, best.lang)


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
