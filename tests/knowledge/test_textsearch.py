"""The search text of the knowledge base, without a database: folding, query terms for every
script (Chinese without spaces included), scoring and highlighting — each checked against a
brute-force oracle with hypothesis."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from escalade.knowledge import textsearch as ts

# Letters that fold in interesting ways, Chinese, marks that fold to nothing, and spaces.
TRICKY = "aAbeEiIıİlLłŁoOøØsSßæÆéèe\u0301\u0307ｆﬁ发票下载如何退款 -_,."
texts = st.text(alphabet=TRICKY, max_size=40)
any_text = st.text(max_size=30)
terms = st.lists(st.text(alphabet="abeilosfi发票下载款 ", min_size=1, max_size=4), max_size=4)


# --- folding ------------------------------------------------------------------------------------


def test_folding_drops_accents_and_case_in_the_six_languages():
    assert ts.fold("Wiśniewska ŁÓDŹ") == "wisniewska lodz"
    assert ts.fold("İADE ıslak") == "iade islak"
    assert ts.fold("Ørsta Blåbær") == "orsta blabaer"
    assert ts.fold("Straße") == "strasse"
    assert ts.fold("Città perché") == "citta perche"
    assert ts.fold("ＰＤＦ发票") == "pdf发票"  # full-width letters; Chinese unchanged


@given(any_text)
def test_folding_twice_changes_nothing(text):
    assert ts.fold(ts.fold(text)) == ts.fold(text)


@given(any_text)
def test_folding_works_character_by_character_and_knows_where_each_character_came_from(text):
    folded, origins = ts.fold_with_offsets(text)
    assert folded == ts.fold(text) == "".join(ts.fold_char(c) for c in text)
    assert len(origins) == len(folded)
    assert origins == sorted(origins)
    for position, origin in enumerate(origins):
        assert folded[position] in ts.fold_char(text[origin])


@given(any_text)
def test_folded_text_has_no_combining_marks(text):
    assert not any(unicodedata.category(c) == "Mn" for c in ts.fold(text))


# --- query terms -------------------------------------------------------------------------------


def test_chinese_is_cut_into_two_character_pieces():
    assert ts.query_terms("如何下载发票") == ["如何", "何下", "下载", "载发", "发票"]
    assert ts.query_terms("发票") == ["发票"]
    assert ts.query_terms("票") == ["票"]


def test_mixed_scripts_are_split_at_the_script_boundary():
    assert ts.query_terms("PDF发票 download") == ["pdf", "发票", "download"]


def test_short_words_are_dropped_when_longer_terms_exist():
    assert ts.query_terms("How do I download my invoice?") == ["how", "download", "invoice"]
    assert ts.query_terms("tv ok") == ["tv", "ok"]  # nothing longer: they stay


def test_queries_are_folded_and_without_duplicates():
    assert ts.query_terms("Faktura FAKTURA fáktura") == ["faktura"]
    assert ts.query_terms("   ,,, ") == []


@given(any_text)
def test_every_term_is_a_piece_of_the_folded_query(query):
    folded = ts.fold(query)
    found = ts.query_terms(query)
    assert len(found) == len(set(found)) <= ts.MAX_TERMS
    for term in found:
        assert term
        assert term in folded


# --- matching and scoring ----------------------------------------------------------------------


def oracle_contains(text: str, term: str) -> bool:
    return any(text[i : i + len(term)] == term for i in range(len(text) - len(term) + 1))


def oracle_score(query_terms: list[str], title: str, body: str) -> int:
    in_title = [t for t in query_terms if oracle_contains(title, t)]
    anywhere = [t for t in query_terms if oracle_contains(title, t) or oracle_contains(body, t)]
    needed = 0
    while needed < len(query_terms) and needed < ts.MATCH_SHARE * len(query_terms):
        needed += 1
    needed = max(1, needed) if query_terms else 0
    if not query_terms or len(anywhere) < needed:
        return 0
    return len(anywhere) * ts.TERM_WEIGHT + len(in_title) * ts.TITLE_WEIGHT


@settings(max_examples=300)
@given(st.lists(st.text(alphabet="abc发票", min_size=1, max_size=3), max_size=6), texts, texts)
def test_score_matches_the_brute_force_oracle(query_terms, title, body):
    title, body = ts.fold(title), ts.fold(body)
    assert ts.score(query_terms, title, body) == oracle_score(query_terms, title, body)


def test_a_title_hit_ranks_above_a_body_hit():
    terms = ts.query_terms("invoice")
    assert ts.score(terms, "download invoice", "") > ts.score(terms, "downloads", "an invoice")


def test_most_of_a_long_query_must_match():
    terms = ts.query_terms("download invoice refund")
    assert ts.required_matches(len(terms)) == 2
    assert ts.score(terms, "refund", "") == 0
    assert ts.score(terms, "refund", "your invoice") > 0


# --- highlighting ------------------------------------------------------------------------------


def oracle_spans(text: str, query_terms: list[str]) -> list[tuple[int, int]]:
    """Mark every original character covered by an occurrence of a term, one position at a
    time; marks folding to nothing join the letter before; then read off the runs."""
    folded, origins = "", []
    for index, char in enumerate(text):
        piece = ts.fold_char(char)
        folded += piece
        origins += [index] * len(piece)
    marked = [False] * len(text)
    for term in query_terms:
        if not term:
            continue
        for start in range(len(folded) - len(term) + 1):
            if folded[start : start + len(term)] == term:
                first, last = origins[start], origins[start + len(term) - 1]
                for i in range(first, last + 1):
                    marked[i] = True
                after = last + 1
                while after < len(text) and ts.fold_char(text[after]) == "":
                    marked[after] = True
                    after += 1
    spans, start = [], None
    for i, on in enumerate([*marked, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append((start, i))
            start = None
    return spans


@settings(max_examples=400)
@given(texts, terms)
def test_match_spans_match_the_brute_force_oracle(text, query_terms):
    query_terms = [ts.fold(t) for t in query_terms]
    assert ts.match_spans(text, query_terms) == oracle_spans(text, query_terms)


@given(texts, terms)
def test_highlighting_keeps_the_text_and_marks_exactly_the_spans(text, query_terms):
    query_terms = [ts.fold(t) for t in query_terms]
    pieces = ts.highlight(text, query_terms)
    assert "".join(piece for piece, _match in pieces) == text
    position, marked = 0, []
    for piece, match in pieces:
        if match:
            marked.append((position, position + len(piece)))
        position += len(piece)
    assert marked == ts.match_spans(text, query_terms)


def test_highlighting_finds_the_word_in_its_original_spelling():
    pieces = ts.highlight("Zofia Wiśniewska pisze", ["wisniewska"])
    assert ("Wiśniewska", True) in pieces
    assert ts.highlight("如何下载发票", ["发票"]) == [("如何下载", False), ("发票", True)]


def test_a_snippet_shows_the_first_match_of_a_long_text():
    text = "lorem ipsum " * 40 + "the invoice is here " + "dolor sit " * 40
    pieces = ts.snippet(text, ["invoice"], width=120)
    assert ("invoice", True) in pieces
    assert pieces[0] == ("… ", False)
    assert pieces[-1] == (" …", False)
    assert sum(len(piece) for piece, _ in pieces) <= 130
