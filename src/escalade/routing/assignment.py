"""Choosing the agent inside a team: pure logic over a snapshot of the team's agents.

Only agents who are online and below their capacity can be chosen. Every tie is broken by
agent id, so the same snapshot always gives the same choice (and tests and replays agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Strategy = Literal["round_robin", "least_loaded", "skill_match", "manual"]
STRATEGIES: tuple[Strategy, ...] = ("round_robin", "least_loaded", "skill_match", "manual")


@dataclass(frozen=True)
class AgentSnapshot:
    agent_id: int
    online: bool
    open_tickets: int
    capacity: int
    languages: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()

    @property
    def load(self) -> float:
        return self.open_tickets / self.capacity if self.capacity > 0 else 1.0


@dataclass(frozen=True)
class Needs:
    language: str | None = None
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Choice:
    agent_id: int | None
    reason: str


def _speaks(agent: AgentSnapshot, language: str) -> bool:
    # "zh" and "zh-hans" understand each other's tickets; "nb" and "tr" do not.
    wanted = language.lower()
    return any(
        spoken == wanted or spoken.startswith(wanted + "-") or wanted.startswith(spoken + "-")
        for spoken in (s.lower() for s in agent.languages)
    )


def _load_key(agent: AgentSnapshot) -> tuple[float, int, int]:
    return (agent.load, agent.open_tickets, agent.agent_id)


def _describe(agent: AgentSnapshot) -> str:
    return f"agent {agent.agent_id} ({agent.open_tickets}/{agent.capacity} open)"


def _unavailable_reason(candidates: Sequence[AgentSnapshot]) -> str:
    offline = sum(not a.online for a in candidates)
    full = sum(a.online and a.open_tickets >= a.capacity for a in candidates)
    return (
        f"no agent is online with free capacity ({len(candidates)} in the team: "
        f"{offline} offline, {full} at capacity)"
    )


def _round_robin(available: list[AgentSnapshot], last_assigned_id: int | None) -> Choice:
    ordered = sorted(available, key=lambda a: a.agent_id)
    if last_assigned_id is None:
        chosen = ordered[0]
        return Choice(chosen.agent_id, f"round robin: first in turn is {_describe(chosen)}")
    # The next id after the last one assigned, wrapping around; the last agent need not
    # be available any more.
    chosen = next((a for a in ordered if a.agent_id > last_assigned_id), ordered[0])
    return Choice(
        chosen.agent_id,
        f"round robin: next in turn after agent {last_assigned_id} is {_describe(chosen)}",
    )


def _least_loaded(available: list[AgentSnapshot]) -> Choice:
    chosen = min(available, key=_load_key)
    return Choice(chosen.agent_id, f"least loaded: {_describe(chosen)}")


def _skill_match(available: list[AgentSnapshot], needs: Needs) -> Choice:
    pool = available
    found: list[str] = []
    if needs.language:
        pool = [a for a in pool if _speaks(a, needs.language)]
        if not pool:
            return Choice(None, f"no available agent speaks {needs.language}")
        found.append(f"speaks {needs.language}")
    if needs.skills:
        # Prefer the agents covering most of the needed skills: all of them when someone
        # has them all, otherwise the best partial cover rather than nobody.
        def coverage(agent: AgentSnapshot) -> int:
            return len(needs.skills & agent.skills)

        best = max(coverage(a) for a in pool)
        pool = [a for a in pool if coverage(a) == best]
        found.append(f"has {best}/{len(needs.skills)} needed skills")
    chosen = min(pool, key=_load_key)
    found.append(f"least loaded of {len(pool)}")
    return Choice(chosen.agent_id, f"skill match: {_describe(chosen)} {', '.join(found)}")


def choose_agent(
    candidates: Sequence[AgentSnapshot],
    strategy: Strategy,
    needs: Needs | None = None,
    last_assigned_id: int | None = None,
) -> Choice:
    """The agent of `candidates` (one team) who should get the ticket, with the reason.

    round_robin: the next available agent by id after `last_assigned_id`.
    least_loaded: the lowest open/capacity ratio, then fewest open tickets.
    skill_match: agents who speak `needs.language`, then those covering most of
    `needs.skills`, then the least loaded.
    manual: nobody; the ticket waits in the team queue for an agent to take it.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})")
    if strategy == "manual":
        return Choice(None, "manual assignment: the ticket waits in the team queue")
    available = [a for a in candidates if a.online and a.open_tickets < a.capacity]
    if not available:
        return Choice(None, _unavailable_reason(candidates))
    if strategy == "round_robin":
        return _round_robin(available, last_assigned_id)
    if strategy == "least_loaded":
        return _least_loaded(available)
    return _skill_match(available, needs or Needs())
