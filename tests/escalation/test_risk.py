import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalade.escalation.risk import RiskInputs, risk_score
from escalade.escalation.signals import negativity

HOUR = 3600.0
TIERS = ["standard", "premium", "vip"]


def factor_points(assessment):
    return {factor.name: factor.points for factor in assessment.factors}


def test_a_calm_standard_ticket_has_no_risk_and_says_why():
    assessment = risk_score(RiskInputs(seconds_to_breach=None, median_handling_seconds=None))
    assert assessment.score == 0
    assert [(f.name, f.points, f.explanation) for f in assessment.factors] == [
        ("time_pressure", 0.0, "no SLA clock running"),
        ("customer_tier", 0.0, "standard customer"),
        ("reopens", 0.0, "reopened 0 times"),
        ("repeat_contacts", 0.0, "contact number 1 from this customer in 7 days"),
        ("negativity", 0.0, "negative wording 0%"),
    ]


def test_time_pressure_grows_as_time_left_falls_below_the_median_handling_time():
    def pressure(hours_left):
        inputs = RiskInputs(seconds_to_breach=hours_left * HOUR, median_handling_seconds=2 * HOUR)
        return factor_points(risk_score(inputs))["time_pressure"]

    assert pressure(4) == 0  # twice the median left: no pressure
    assert 0 < pressure(3) < pressure(2) < pressure(1.5)
    assert pressure(1) == pressure(0.5) == 35  # half the median or less: full pressure


def test_a_breached_clock_is_full_pressure_even_without_history():
    inputs = RiskInputs(seconds_to_breach=-60, median_handling_seconds=None)
    assert factor_points(risk_score(inputs))["time_pressure"] == 35
    no_history = RiskInputs(seconds_to_breach=HOUR, median_handling_seconds=None)
    factor = risk_score(no_history).factors[0]
    assert (factor.points, factor.explanation) == (0.0, "no recent handling time for the team")


def test_scenario_5_premium_third_contact_with_negative_words_crosses_70():
    text = "这已经是我第三次联系你们了，问题还是没解决，太差了！"
    inputs = RiskInputs(
        seconds_to_breach=2.4 * HOUR,  # first response due in 2.4 business hours
        median_handling_seconds=2 * HOUR,
        customer_tier="premium",
        contacts_last_7_days=3,
        negativity=negativity(text, "zh-hans"),
    )
    assessment = risk_score(inputs)
    assert assessment.score >= 70
    points = factor_points(assessment)
    assert points["repeat_contacts"] == 24
    assert points["customer_tier"] == 12


def test_the_score_is_capped_at_100_by_an_explained_factor():
    inputs = RiskInputs(
        seconds_to_breach=0,
        median_handling_seconds=HOUR,
        customer_tier="vip",
        reopen_count=5,
        contacts_last_7_days=9,
        negativity=1.0,
    )
    assessment = risk_score(inputs)
    assert assessment.score == 100
    cap = assessment.factors[-1]
    assert cap.name == "cap"
    assert cap.points == -(35 + 20 + 16 + 24 + 25 - 100)
    assert math.isclose(sum(f.points for f in assessment.factors), 100)


def test_unknown_tier_is_an_error():
    with pytest.raises(ValueError, match="gold"):
        risk_score(RiskInputs(None, None, customer_tier="gold"))


inputs_strategy = st.builds(
    RiskInputs,
    seconds_to_breach=st.one_of(st.none(), st.floats(-HOUR, 100 * HOUR)),
    median_handling_seconds=st.one_of(st.none(), st.floats(60, 50 * HOUR)),
    customer_tier=st.sampled_from(TIERS),
    reopen_count=st.integers(0, 10),
    contacts_last_7_days=st.integers(1, 10),
    negativity=st.floats(0, 1),
)


@given(inputs_strategy)
def test_factors_always_sum_to_the_score_within_bounds(inputs):
    assessment = risk_score(inputs)
    assert 0 <= assessment.score <= 100
    assert math.isclose(sum(f.points for f in assessment.factors), assessment.score, abs_tol=0.01)


@given(inputs_strategy, st.data())
def test_the_score_is_monotone_in_every_risky_input(inputs, data):
    riskier = {
        "reopen_count": inputs.reopen_count + data.draw(st.integers(0, 5)),
        "contacts_last_7_days": inputs.contacts_last_7_days + data.draw(st.integers(0, 5)),
        "negativity": data.draw(st.floats(inputs.negativity, 1)),
        "customer_tier": data.draw(st.sampled_from(TIERS[TIERS.index(inputs.customer_tier) :])),
    }
    if inputs.seconds_to_breach is not None:
        riskier["seconds_to_breach"] = data.draw(st.floats(-HOUR, inputs.seconds_to_breach))
    if inputs.median_handling_seconds is not None:
        riskier["median_handling_seconds"] = data.draw(
            st.floats(inputs.median_handling_seconds, 100 * HOUR)
        )
    base = risk_score(inputs).score
    for name, value in riskier.items():
        assert risk_score(replace(inputs, **{name: value})).score >= base, name
    assert risk_score(replace(inputs, **riskier)).score >= base
