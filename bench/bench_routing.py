"""Routing + assignment decisions per second on a team of 200 agents.

- `decide`: the pure decision — first matching routing rule of the example document for a
  ticket's facts, then choose_agent among 200 agent snapshots (least loaded, skill match,
  round robin);
- `pick_agent_db`: the same assignment with the candidates read from the database (one
  aggregate query over the team's 200 agents), on SQLite.
Prints one JSON object on its last line.
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("ESCALADE_HOME", tempfile.mkdtemp(prefix="escalade-bench-routing-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalade.settings")
os.environ.setdefault("ESCALADE_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from escalade.core.conditions import first_match  # noqa: E402
from escalade.escalation.document import load_document  # noqa: E402
from escalade.routing.assignment import AgentSnapshot, Needs, choose_agent  # noqa: E402

AGENTS = 200
LANGUAGES = ["en", "nb", "tr", "it", "pl", "zh-hans"]


def rate(function, seconds: float = 2.0) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            function()
        count += 100
    return count / (time.perf_counter() - start)


def pure_decisions() -> dict:
    example = Path(ROOT / "src/escalade/escalation/example.yaml").read_text(encoding="utf-8")
    rules = load_document(example).routing
    rng = random.Random(7)
    agents = [
        AgentSnapshot(
            agent_id=n,
            online=rng.random() > 0.2,
            open_tickets=rng.randint(0, 20),
            capacity=20,
            languages=frozenset(rng.sample(LANGUAGES, 2)),
            skills=frozenset(rng.sample(["payments", "invoices", "api", "sso"], 2)),
        )
        for n in range(AGENTS)
    ]
    facts = [
        {
            "language": "nb",
            "text": "Dobbel belastning på fakturaen",
            "channel": "email",
            "priority": "normal",
            "tags": [],
            "category": "",
        },
        {
            "language": "tr",
            "text": "Giriş sorunu, ödeme sayfası",
            "channel": "chat",
            "priority": "high",
            "tags": [],
            "category": "",
        },
        {
            "language": "zh-hans",
            "text": "发票无法下载",
            "channel": "portal",
            "priority": "normal",
            "tags": [],
            "category": "",
        },
    ]
    results = {}
    for strategy in ("least_loaded", "skill_match", "round_robin"):
        index = [0]

        def decide(strategy=strategy, index=index):
            fact = facts[index[0] % len(facts)]
            index[0] += 1
            first_match(rules, fact)
            choose_agent(
                agents,
                strategy,
                Needs(language=fact["language"], skills=frozenset({"payments"})),
                last_assigned_id=index[0] % AGENTS,
            )

        results[strategy] = round(rate(decide))
    return results


def db_decisions() -> float:
    call_command("migrate", verbosity=0)
    from escalade.accounts import services as accounts
    from escalade.accounts.models import AgentProfile
    from escalade.core.actors import SYSTEM
    from escalade.routing.services import pick_agent
    from escalade.tickets.models import Ticket

    team = accounts.save_team(
        SYSTEM, slug="big-team", name="Big team", assignment_strategy="skill_match"
    )
    from django.contrib.auth import get_user_model

    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"agent{n}", email=f"agent{n}@bench.test") for n in range(AGENTS)]
    )
    rng = random.Random(3)
    profiles = AgentProfile.objects.bulk_create(
        [
            AgentProfile(
                user=user,
                availability="online",
                capacity=20,
                languages=rng.sample(LANGUAGES, 2),
                skills=["payments"],
            )
            for user in users
        ]
    )
    AgentProfile.teams.through.objects.bulk_create(
        [AgentProfile.teams.through(agentprofile_id=p.pk, team_id=team.pk) for p in profiles]
    )
    ticket = Ticket(language="nb", category="payments")
    samples = []
    for _ in range(200):
        start = time.perf_counter()
        pick_agent(ticket, team)
        samples.append(time.perf_counter() - start)
    return round(1 / statistics.median(samples))


if __name__ == "__main__":
    print(
        json.dumps(
            {
                "routing_decisions_per_s": pure_decisions(),
                "pick_agent_db_per_s_sqlite": db_decisions(),
                "agents": AGENTS,
            }
        )
    )
