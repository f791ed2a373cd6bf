"""A small company shaped like the demo: teams, a chain of command, the example document."""

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

import escalade.escalation
from escalade.accounts import services as accounts
from escalade.core.actors import SYSTEM
from escalade.escalation.document import load_document
from escalade.escalation.services import apply_document

EXAMPLE = Path(escalade.escalation.__file__).with_name("example.yaml")


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def oslo(*args) -> datetime:
    return local("Europe/Oslo", *args)


@pytest.fixture
def company(make):
    return build_company(make)


def build_company(make):
    """The company of the escalation stories; also used by bench/bench_escalation.py."""
    maria = make.agent("maria", role="manager", availability="online")
    sofia = make.agent("sofia", role="supervisor", reports_to=maria.user, availability="online")
    henrik = make.agent("henrik", role="supervisor", reports_to=maria.user, availability="online")
    teams = {}
    for slug, function, tier, manager, calendar in [
        ("support-en", "general", 1, sofia, ""),
        ("support-nb", "general", 1, sofia, "oslo"),
        ("support-tr", "general", 1, sofia, "istanbul"),
        ("support-it", "general", 1, sofia, "rome"),
        ("support-pl", "general", 1, sofia, "warsaw"),
        ("support-zh", "general", 1, sofia, "shanghai"),
        ("billing-l1", "billing", 1, henrik, "oslo"),
        ("billing-l2", "billing", 2, henrik, "oslo"),
        ("tech-l2", "technical", 2, maria, "oslo"),
        ("engineering-l3", "engineering", 3, maria, "oslo"),
    ]:
        strategy = "skill_match" if function == "billing" else "least_loaded"
        teams[slug] = make.team(
            slug,
            function=function,
            tier_level=tier,
            manager=manager.user_id,
            calendar=calendar,
            assignment_strategy=strategy,
        )
    people = {"maria": maria, "sofia": sofia, "henrik": henrik}
    for username, team, languages, boss in [
        ("ingrid", "support-nb", ["nb", "en"], sofia),
        ("ayse", "support-tr", ["tr", "en"], sofia),
        ("giulia", "support-it", ["it", "en"], sofia),
        ("kasia", "support-pl", ["pl", "en"], sofia),
        ("wei", "support-zh", ["zh-hans", "en"], sofia),
        ("sam", "support-en", ["en"], sofia),
        ("nora", "billing-l1", ["nb", "en"], henrik),
        ("emre", "billing-l1", ["tr", "en"], henrik),
        ("bjorn", "billing-l2", ["nb", "en"], henrik),
        ("zeynep", "tech-l2", ["tr", "en"], maria),
        ("erik", "engineering-l3", ["nb", "en"], maria),
    ]:
        people[username] = make.agent(
            username,
            teams=[teams[team]],
            languages=languages,
            reports_to=boss.user,
            availability="online",
            capacity=10,
        )
    apply_document(SYSTEM, load_document(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE)))
    return SimpleNamespace(teams=teams, people=people, accounts=accounts)
