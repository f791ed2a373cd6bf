from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from escalade.core.actors import SYSTEM
from escalade.sla import services as sla

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3600


def oslo(*args) -> datetime:
    return datetime(*args, tzinfo=OSLO).astimezone(UTC)


@pytest.fixture
def vip_policy():
    sla.save_calendar(
        SYSTEM,
        "oslo",
        {
            "timezone": "Europe/Oslo",
            "hours": {d: ["08:00-16:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "NO"},
        },
    )
    sla.save_policy(
        SYSTEM,
        "VIP",
        position=1,
        conditions={"org_tier": ["vip"]},
        calendar="oslo",
        targets={
            "normal": {"first_response": HOUR, "next_response": 2 * HOUR, "resolution": 16 * HOUR},
            "urgent": {"first_response": HOUR // 2, "next_response": HOUR, "resolution": 4 * HOUR},
        },
        warn_at=[{"percent": 75}],
    )
    return sla.save_policy(
        SYSTEM,
        "Standard",
        position=9,
        targets={"normal": {"first_response": 8 * HOUR, "resolution": 40 * HOUR}},
        calendar="oslo",
    )


@pytest.fixture
def vip_customer(make):
    return make.customer(
        "kari@fjordhandel.no",
        organisation=make.organisation("Fjordhandel", tier="vip"),
        with_login=True,
    )


@pytest.fixture
def agent(make):
    return make.agent("ingrid")
