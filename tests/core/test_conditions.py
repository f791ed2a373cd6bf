from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalade.core.conditions import (
    CHANNELS,
    ORG_TIERS,
    PRIORITIES,
    first_match,
    fold_text,
    match,
    validate_conditions,
)

TICKET = {
    "priority": "urgent",
    "org_tier": "vip",
    "channel": "email",
    "team": "billing-l1",
    "category": "billing",
    "tags": ["outage", "Invoice"],
    "language": "nb",
    "text": "Dobbelt belastet\nJeg ble belastet to ganger for FAKTURAEN min.",
    "customer": "Kari@Example.no",
}


def test_empty_conditions_match_every_ticket():
    result = match({}, {})
    assert result.matched
    assert result.reasons == ["no conditions (matches every ticket)"]


def test_match_explains_every_condition():
    result = match({"priority": ["high", "urgent"], "keywords": ["faktura"]}, TICKET)
    assert result.matched
    assert result.reasons == [
        "priority is urgent (one of high, urgent)",
        "keyword 'faktura' found in text",
    ]


def test_no_match_names_only_the_failed_conditions():
    result = match({"priority": ["low"], "org_tier": ["vip"], "channel": ["chat"]}, TICKET)
    assert not result.matched
    assert result.reasons == [
        "priority is urgent, not one of low",
        "channel is email, not one of chat",
    ]


def test_missing_fact_fails_with_a_reason():
    result = match({"category": ["billing"]}, {"priority": "low"})
    assert not result.matched
    assert result.reasons == ["category is not set (wanted one of billing)"]


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("faktura", "Hvor er FAKTURAEN?", True),  # inflected form, other case
        ("double charge", "a DOUBLE\n  charge again", True),  # any whitespace between words
        ("refund", "prefunding is not it", False),  # must start a word
        ("fatura", "FATURAMI iki kez ödedim", True),
        ("iade", "İADE istiyorum", True),  # dotted capital İ
        ("ödeme", "ODEME yapamiyorum", True),  # typed without Turkish letters
        ("płatność", "Platnosc nie przeszla", True),
        ("发票", "我的发票下载不了", True),  # CJK: anywhere in the text
        ("发票", "我的账单下载不了", False),
    ],
)
def test_keywords_match_forgivingly(keyword, text, found):
    assert match({"keywords": [keyword]}, {"text": text}).matched is found


def test_language_condition_accepts_subtags():
    assert match({"language": ["zh"]}, {"language": "zh-Hans"}).matched
    assert not match({"language": ["zh-hans"]}, {"language": "zh-hant"}).matched
    assert not match({"language": ["nb"]}, {"language": "nn"}).matched


def test_tags_any_and_all():
    assert match({"tags_any": ["invoice", "refund"]}, TICKET).matched
    assert not match({"tags_any": ["refund"]}, TICKET).matched
    assert match({"tags_all": ["outage", "invoice"]}, TICKET).matched
    result = match({"tags_all": ["outage", "refund", "vip"]}, TICKET)
    assert not result.matched
    assert result.reasons == ["tag refund, vip missing (all of outage, refund, vip required)"]


def test_customer_by_address_or_domain():
    assert match({"customer": ["kari@example.no"]}, TICKET).matched
    assert match({"customer": ["@example.no"]}, TICKET).matched
    assert not match({"customer": ["@example.com"]}, TICKET).matched


def test_fold_text_treats_turkish_i_forms_alike():
    assert fold_text("YÖNETİCİ") == fold_text("yönetici") == fold_text("yonetıcı") == "yonetici"


def test_first_match_reports_the_skipped_items():
    policies = [
        {"name": "Premium", "when": {"org_tier": ["premium"]}},
        {"name": "VIP", "when": {"org_tier": ["vip"]}},
        {"name": "Default", "when": {}},
    ]
    found = first_match(policies, TICKET)
    assert found.item["name"] == "VIP"
    assert found.result.reasons == ["org tier is vip (one of vip)"]
    assert [(item["name"], result.reasons) for item, result in found.skipped] == [
        ("Premium", ["org tier is vip, not one of premium"])
    ]


def test_first_match_reads_when_attributes_and_may_find_nothing():
    @dataclass
    class Rule:
        when: dict

    found = first_match([Rule({"priority": ["low"]})], TICKET)
    assert found.item is None
    assert found.result is None
    assert len(found.skipped) == 1


@pytest.mark.parametrize(
    ("conditions", "error"),
    [
        ({"prio": ["high"]}, "prio: unknown condition (did you mean 'priority'?)"),
        ({"priority": "high"}, "priority: must be a list, e.g. priority: [high]"),
        ({"priority": []}, "priority: an empty list matches nothing"),
        ({"priority": ["hihg"]}, "priority: unknown value 'hihg' (did you mean 'high'?)"),
        ({"org_tier": ["gold"]}, "org_tier: unknown value 'gold' (use one of standard, premium"),
        ({"team": ["Billing L1"]}, "team: 'Billing L1' is not a valid name"),
        ({"language": ["Norwegian"]}, "language: 'Norwegian' is not a language code"),
        ({"customer": ["kari"]}, "customer: 'kari' is not an e-mail address or @domain"),
        ({"keywords": [" "]}, "keywords: a keyword must not be blank"),
        ({"tags_any": [3]}, "tags_any: 3 must be text"),
        ({"keywords": ["two\nlines"]}, "keywords: 'two\\nlines' must be one line of text"),
    ],
)
def test_validate_conditions_names_the_bad_key_or_value(conditions, error):
    errors = validate_conditions(conditions)
    assert len(errors) == 1
    assert errors[0].startswith(error)


def test_validate_conditions_accepts_a_full_valid_set():
    conditions = {
        "priority": ["high", "urgent"],
        "org_tier": ["vip"],
        "channel": ["email"],
        "team": ["billing-l1"],
        "category": ["billing"],
        "tags_any": ["outage"],
        "tags_all": ["a", "b"],
        "language": ["nb", "zh-hans"],
        "keywords": ["faktura", "double charge"],
        "customer": ["a@b.com", "@example.no"],
    }
    assert validate_conditions(conditions) == []
    assert validate_conditions("priority: high") == [
        "must be a mapping of condition name to list of values"
    ]


# --- properties -----------------------------------------------------------------------

SLUGS = ["billing", "billing-l1", "tech", "outage", "vip"]
LANGUAGES = ["nb", "tr", "it", "pl", "zh-hans", "zh", "en"]
WORDS = ["faktura", "fatura", "double charge", "发票", "login", "refund"]
CUSTOMERS = ["a@x.no", "b@y.com", "@x.no"]


def _any_of(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)


CONDITION_VALUES = {
    "priority": _any_of(PRIORITIES),
    "org_tier": _any_of(ORG_TIERS),
    "channel": _any_of(CHANNELS),
    "team": _any_of(SLUGS),
    "category": _any_of(SLUGS),
    "tags_any": _any_of(SLUGS),
    "tags_all": _any_of(SLUGS),
    "language": _any_of(LANGUAGES),
    "keywords": _any_of(WORDS),
    "customer": _any_of(CUSTOMERS),
}
conditions_strategy = st.dictionaries(
    st.sampled_from(sorted(CONDITION_VALUES)), st.none(), max_size=4
).flatmap(lambda keys: st.fixed_dictionaries({k: CONDITION_VALUES[k] for k in keys}))
facts_strategy = st.fixed_dictionaries(
    {
        "priority": st.sampled_from([*PRIORITIES, None]),
        "org_tier": st.sampled_from([*ORG_TIERS, None]),
        "channel": st.sampled_from(CHANNELS),
        "team": st.sampled_from(SLUGS),
        "category": st.sampled_from([*SLUGS, None]),
        "tags": st.lists(st.sampled_from(SLUGS), max_size=3),
        "language": st.sampled_from(LANGUAGES),
        "text": st.lists(st.sampled_from([*WORDS, "hello", "Fakturaen"]), max_size=4).map(" ".join),
        "customer": st.sampled_from(["a@x.no", "b@y.com", "c@z.it"]),
    }
)


@given(conditions_strategy, st.sampled_from(sorted(CONDITION_VALUES)), st.data(), facts_strategy)
def test_adding_a_condition_never_turns_a_non_match_into_a_match(conditions, key, data, facts):
    extra = data.draw(CONDITION_VALUES[key])
    narrower = {**conditions, key: extra} if key not in conditions else conditions
    if match(narrower, facts).matched:
        assert match(conditions, facts).matched


@given(conditions_strategy, facts_strategy)
def test_a_set_matches_exactly_when_each_condition_alone_matches(conditions, facts):
    alone = [match({key: values}, facts).matched for key, values in conditions.items()]
    assert match(conditions, facts).matched == all(alone)


@given(conditions_strategy)
def test_generated_conditions_are_valid(conditions):
    assert validate_conditions(conditions) == []


def test_reasons_and_errors_are_in_the_readers_language():
    from django.utils import translation

    with translation.override("nb"):
        assert match({"priority": ["high"]}, {"priority": "low"}).reasons == [
            "priority er low, ikke en av high"
        ]
        assert match({}, {}).reasons == ["ingen betingelser (gjelder alle saker)"]
    with translation.override("zh-hans"):
        assert validate_conditions({"chanel": ["email"]}) == [
            "chanel: 未知条件（您是不是指“channel”？）"
        ]
    assert match({}, {}).reasons == ["no conditions (matches every ticket)"]
