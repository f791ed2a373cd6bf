"""The proactive risk score: how likely a ticket is to end in an unhappy customer.

The score is a sum of explained factors (0..100), so the at-risk board can say *why* a
ticket is there. Every factor only grows with its risky input, so the score is monotone:
less time, a higher tier, more reopens, more contacts or angrier words never lower it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

Tier = Literal["standard", "premium", "vip"]

MAX_SCORE = 100.0
# Maximum points per factor. They add up to more than 100 on purpose: any three strong
# signals together should put a ticket at the top of the board.
TIME_PRESSURE_POINTS = 35.0
TIER_POINTS: dict[str, float] = {"standard": 0.0, "premium": 12.0, "vip": 20.0}
POINTS_PER_REOPEN = 8.0
MAX_REOPEN_POINTS = 16.0
POINTS_PER_REPEAT_CONTACT = 12.0
MAX_REPEAT_CONTACT_POINTS = 24.0
NEGATIVITY_POINTS = 25.0
# Time left as a multiple of the team's median handling time: at or below the first the
# time factor is full, at or above the second it is zero, linear in between.
FULL_PRESSURE_RATIO = 0.5
NO_PRESSURE_RATIO = 2.0


@dataclass(frozen=True)
class RiskInputs:
    seconds_to_breach: float | None
    """Business seconds left before the nearest SLA breach; <= 0 when already breached;
    None when no SLA clock is running."""
    median_handling_seconds: float | None
    """The team's recent median handling time; None when the team has no history."""
    customer_tier: Tier = "standard"
    reopen_count: int = 0
    contacts_last_7_days: int = 1
    """The customer's contacts (tickets) in the last 7 days, this one included."""
    negativity: float = 0.0
    """0..1 from `escalade.escalation.signals.negativity`."""


class RiskFactor(NamedTuple):
    name: str
    points: float
    explanation: str


@dataclass(frozen=True)
class RiskAssessment:
    score: float
    factors: list[RiskFactor]


def _points(value: float) -> float:
    return round(value, 2)


def _time_pressure(inputs: RiskInputs) -> RiskFactor:
    left, median = inputs.seconds_to_breach, inputs.median_handling_seconds
    if left is None:
        return RiskFactor("time_pressure", 0.0, "no SLA clock running")
    if left <= 0:
        return RiskFactor("time_pressure", TIME_PRESSURE_POINTS, "SLA already breached")
    if not median or median <= 0:
        return RiskFactor("time_pressure", 0.0, "no recent handling time for the team")
    ratio = left / median
    share = (NO_PRESSURE_RATIO - ratio) / (NO_PRESSURE_RATIO - FULL_PRESSURE_RATIO)
    points = _points(TIME_PRESSURE_POINTS * min(1.0, max(0.0, share)))
    return RiskFactor(
        "time_pressure",
        points,
        f"{ratio:.1f}× the team's median handling time left before the SLA breach",
    )


def _tier(inputs: RiskInputs) -> RiskFactor:
    tier = inputs.customer_tier
    if tier not in TIER_POINTS:
        raise ValueError(f"unknown customer tier {tier!r}")
    return RiskFactor("customer_tier", TIER_POINTS[tier], f"{tier} customer")


def _reopens(inputs: RiskInputs) -> RiskFactor:
    count = max(0, inputs.reopen_count)
    points = min(MAX_REOPEN_POINTS, POINTS_PER_REOPEN * count)
    return RiskFactor("reopens", points, f"reopened {count} time{'s' * (count != 1)}")


def _repeat_contacts(inputs: RiskInputs) -> RiskFactor:
    contacts = max(1, inputs.contacts_last_7_days)
    points = min(MAX_REPEAT_CONTACT_POINTS, POINTS_PER_REPEAT_CONTACT * (contacts - 1))
    return RiskFactor(
        "repeat_contacts", points, f"contact number {contacts} from this customer in 7 days"
    )


def _negativity(inputs: RiskInputs) -> RiskFactor:
    level = min(1.0, max(0.0, inputs.negativity))
    return RiskFactor(
        "negativity", _points(NEGATIVITY_POINTS * level), f"negative wording {level:.0%}"
    )


def risk_score(inputs: RiskInputs) -> RiskAssessment:
    """Score 0..100 with the factors that make it up; the factors always sum to the score."""
    factors = [
        _time_pressure(inputs),
        _tier(inputs),
        _reopens(inputs),
        _repeat_contacts(inputs),
        _negativity(inputs),
    ]
    total = _points(sum(f.points for f in factors))
    if total > MAX_SCORE:
        excess = _points(total - MAX_SCORE)
        factors.append(RiskFactor("cap", -excess, f"capped at {MAX_SCORE:.0f}"))
        total = MAX_SCORE
    return RiskAssessment(total, factors)
