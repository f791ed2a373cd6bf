"""Search text for the knowledge base: folding, query terms, scoring and highlighting.

Pure Python (no Django), shared by both database backends so that SQLite and PostgreSQL find
and rank the same articles:

- ``fold`` maps text to its search form, one character at a time: compatibility forms
  (full-width letters, ligatures) decomposed, accents dropped, case folded, and a few letters
  that do not decompose mapped by hand (``ł`` → ``l``, ``ø`` → ``o``, dotless ``ı`` → ``i``).
  Articles are indexed folded and queries are folded the same way, so "Wiśniewska" finds
  "wisniewska" and "İade" finds "iade".
- ``query_terms`` cuts a folded query into terms: words for alphabetic scripts; for Chinese and
  Japanese, which are written without spaces, overlapping two-character pieces (most Chinese
  words are two characters long), so "如何下载发票" looks for 下载 and 发票 among others.
  Short words (under three letters) are dropped when longer terms exist: they behave as stop
  words ("how do I" …) without a per-language list.
- A document matches when it contains at least ``required_matches`` of the terms as substrings
  (trigram indexes answer exactly that question); ``score`` ranks title hits above body hits.
- ``match_spans`` and ``highlight`` find the matched stretches in the *original* text, for
  ``<mark>`` in results.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = [
    "MIN_WORD",
    "fold",
    "fold_char",
    "fold_with_offsets",
    "highlight",
    "is_cjk",
    "match_spans",
    "matched_terms",
    "query_terms",
    "required_matches",
    "score",
    "snippet",
]

# Words shorter than this are dropped from a query when longer terms exist; it is also the
# shortest substring a trigram index can answer (shorter ones need a LIKE scan).
MIN_WORD = 3
MAX_TERMS = 12
# A document must contain at least this share of the query's terms.
MATCH_SHARE = 0.4
TITLE_WEIGHT = 5
TERM_WEIGHT = 10

# Letters that do not decompose into a base letter and a mark.
_SPECIAL = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ħ": "h",
    "ı": "i",
    "ŀ": "l",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}

# Han ideographs and kana: scripts written without spaces between words.
_CJK_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B-F and supplement
)
_WORD = re.compile(r"\w+")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _fold_step(char: str) -> str:
    out = []
    for piece in unicodedata.normalize("NFKD", char).casefold():
        for part in unicodedata.normalize("NFKD", piece):
            if unicodedata.category(part) == "Mn":
                continue
            out.append(_SPECIAL.get(part, part))
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """The search form of one character (possibly empty, possibly several characters)."""
    result = _fold_step(char)
    # Repeat until nothing changes, so that folding folded text changes nothing.
    for _ in range(4):
        again = "".join(_fold_step(c) for c in result)
        if again == result:
            break
        result = again
    return result


def fold(text: str) -> str:
    return "".join(fold_char(char) for char in text)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character
    it came from."""
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        piece = fold_char(char)
        folded.append(piece)
        origins.extend([index] * len(piece))
    return "".join(folded), origins


def _runs(token: str) -> Iterable[tuple[str, bool]]:
    """Split a token into runs of CJK and non-CJK characters."""
    start = 0
    for index in range(1, len(token) + 1):
        if index == len(token) or is_cjk(token[index]) != is_cjk(token[start]):
            yield token[start:index], is_cjk(token[start])
            start = index


def query_terms(query: str, *, max_terms: int = MAX_TERMS) -> list[str]:
    """The folded terms of a search query, in order, without duplicates."""
    terms: list[str] = []
    for token in _WORD.findall(fold(query)):
        for run, cjk in _runs(token.strip("_")):
            if not run:
                continue
            if cjk and len(run) > 1:
                terms.extend(run[i : i + 2] for i in range(len(run) - 1))
            else:
                terms.append(run)
    unique = list(dict.fromkeys(term for term in terms if term and term != "_"))
    long = [term for term in unique if len(term) >= MIN_WORD or is_cjk(term[0])]
    return (long or unique)[:max_terms]


def required_matches(count: int) -> int:
    """How many of ``count`` terms a document must contain to match."""
    return max(1, math.ceil(count * MATCH_SHARE)) if count else 0


def matched_terms(terms: Sequence[str], folded_text: str) -> list[str]:
    return [term for term in terms if term in folded_text]


def score(terms: Sequence[str], folded_title: str, folded_body: str) -> int:
    """0 when the document does not match, else higher for more terms and title hits."""
    if not terms:
        return 0
    in_title = sum(1 for term in terms if term in folded_title)
    matched = sum(1 for term in terms if term in folded_title or term in folded_body)
    if matched < required_matches(len(terms)):
        return 0
    return matched * TERM_WEIGHT + in_title * TITLE_WEIGHT


def match_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` stretches of ``text`` where a term occurs (folded)."""
    folded, origins = fold_with_offsets(text)
    found: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        at = folded.find(term)
        while at != -1:
            start = origins[at]
            end = origins[at + len(term) - 1] + 1
            # Marks that fold to nothing (a decomposed accent) belong to the letter before.
            while end < len(text) and not fold_char(text[end]):
                end += 1
            found.append((start, end))
            at = folded.find(term, at + 1)
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """``text`` cut into ``(piece, is_match)`` pieces, for templates to wrap in ``<mark>``."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in match_spans(text, terms):
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def snippet(text: str, terms: Sequence[str], width: int = 220) -> list[tuple[str, bool]]:
    """About ``width`` characters of ``text`` around its first match, highlighted."""
    text = " ".join(text.split())
    if len(text) <= width:
        return highlight(text, terms)
    spans = match_spans(text, terms)
    start = max(0, spans[0][0] - width // 4) if spans else 0
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    pieces = highlight(text[start:end], terms)
    if start:
        pieces.insert(0, ("… ", False))
    if end < len(text):
        pieces.append((" …", False))
    return pieces
