import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalade.routing.assignment import STRATEGIES, AgentSnapshot, Needs, choose_agent


def agent(agent_id, open_tickets=0, capacity=10, online=True, languages=(), skills=()):
    return AgentSnapshot(
        agent_id, online, open_tickets, capacity, frozenset(languages), frozenset(skills)
    )


def test_manual_leaves_the_ticket_in_the_queue():
    choice = choose_agent([agent(1)], "manual", Needs(), None)
    assert choice.agent_id is None
    assert choice.reason == "manual assignment: the ticket waits in the team queue"


def test_nobody_available_says_why():
    team = [agent(1, online=False), agent(2, open_tickets=5, capacity=5), agent(3, online=False)]
    for strategy in ("round_robin", "least_loaded", "skill_match"):
        choice = choose_agent(team, strategy, Needs(), None)
        assert choice.agent_id is None
        assert choice.reason == (
            "no agent is online with free capacity (3 in the team: 2 offline, 1 at capacity)"
        )


def test_round_robin_takes_the_next_id_and_wraps_around():
    team = [agent(7), agent(3), agent(5, online=False), agent(9)]
    assert choose_agent(team, "round_robin", Needs(), None).agent_id == 3
    assert choose_agent(team, "round_robin", Needs(), 3).agent_id == 7  # 5 is offline
    assert choose_agent(team, "round_robin", Needs(), 5).agent_id == 7  # last one may be gone
    assert choose_agent(team, "round_robin", Needs(), 9).agent_id == 3
    choice = choose_agent(team, "round_robin", Needs(), 7)
    assert choice.reason == "round robin: next in turn after agent 7 is agent 9 (0/10 open)"


def test_least_loaded_compares_load_ratio_then_open_tickets_then_id():
    team = [
        agent(1, open_tickets=4, capacity=8),  # 0.5
        agent(2, open_tickets=2, capacity=10),  # 0.2
        agent(3, open_tickets=1, capacity=5),  # 0.2, fewer open tickets
        agent(4, open_tickets=1, capacity=5),  # same as 3, higher id
    ]
    choice = choose_agent(team, "least_loaded", Needs(), None)
    assert choice.agent_id == 3
    assert choice.reason == "least loaded: agent 3 (1/5 open)"


def test_skill_match_filters_by_language_then_skills_then_load():
    team = [
        agent(1, languages={"nb"}, skills={"billing", "refunds"}),
        agent(2, open_tickets=3, languages={"tr", "en"}, skills={"billing", "refunds"}),
        agent(3, open_tickets=1, languages={"tr"}, skills={"billing"}),
        agent(4, open_tickets=5, languages={"tr"}, skills={"billing", "refunds"}),
    ]
    needs = Needs(language="tr", skills=frozenset({"billing", "refunds"}))
    choice = choose_agent(team, "skill_match", needs, None)
    assert choice.agent_id == 2
    assert choice.reason == (
        "skill match: agent 2 (3/10 open) speaks tr, has 2/2 needed skills, least loaded of 2"
    )


def test_skill_match_falls_back_to_the_best_partial_skill_cover():
    team = [
        agent(1, languages={"pl"}, skills=set()),
        agent(2, open_tickets=4, languages={"pl"}, skills={"chat"}),
    ]
    needs = Needs(language="pl", skills=frozenset({"chat", "billing"}))
    choice = choose_agent(team, "skill_match", needs, None)
    assert choice.agent_id == 2
    assert "has 1/2 needed skills" in choice.reason


def test_skill_match_never_gives_a_ticket_to_someone_who_cannot_read_it():
    team = [agent(1, languages={"nb"}), agent(2, languages={"en"})]
    choice = choose_agent(team, "skill_match", Needs(language="tr"), None)
    assert choice.agent_id is None
    assert choice.reason == "no available agent speaks tr"


def test_chinese_variants_are_understood():
    team = [agent(1, languages={"zh"}), agent(2, languages={"nb"})]
    assert choose_agent(team, "skill_match", Needs(language="zh-hans"), None).agent_id == 1
    team = [agent(1, languages={"zh-Hans"})]
    assert choose_agent(team, "skill_match", Needs(language="zh"), None).agent_id == 1


def test_unknown_strategy_is_an_error():
    with pytest.raises(ValueError, match="random"):
        choose_agent([agent(1)], "random", Needs(), None)


def test_two_hundred_agents():
    rng = random.Random(4)
    team = [
        agent(
            i,
            open_tickets=rng.randint(0, 12),
            capacity=10,
            online=rng.random() > 0.2,
            languages=rng.sample(["nb", "tr", "it", "pl", "zh-hans", "en"], 2),
            skills=rng.sample(["billing", "tech", "refunds", "chat"], 2),
        )
        for i in range(200)
    ]
    needs = Needs(language="it", skills=frozenset({"billing", "refunds"}))
    choice = choose_agent(team, "skill_match", needs, None)
    candidates = [
        a
        for a in team
        if a.online and a.open_tickets < a.capacity and "it" in a.languages
        if {"billing", "refunds"} <= a.skills
    ]
    best = min(candidates, key=lambda a: (a.open_tickets, a.agent_id))
    assert choice.agent_id == best.agent_id


agents_strategy = st.lists(
    st.builds(
        agent,
        st.integers(1, 300),
        open_tickets=st.integers(0, 6),
        capacity=st.integers(0, 6),
        online=st.booleans(),
        languages=st.sets(st.sampled_from(["nb", "tr", "zh-hans"]), max_size=2),
        skills=st.sets(st.sampled_from(["billing", "tech"]), max_size=2),
    ),
    max_size=30,
    unique_by=lambda a: a.agent_id,
)
needs_strategy = st.builds(
    Needs,
    language=st.sampled_from([None, "nb", "tr", "zh"]),
    skills=st.frozensets(st.sampled_from(["billing", "tech"])),
)


@given(
    agents_strategy,
    st.sampled_from(STRATEGIES),
    needs_strategy,
    st.none() | st.integers(0, 300),
    st.randoms(),
)
def test_the_choice_is_available_and_independent_of_order(team, strategy, needs, last, rng):
    choice = choose_agent(team, strategy, needs, last)
    shuffled = list(team)
    rng.shuffle(shuffled)
    assert choose_agent(shuffled, strategy, needs, last) == choice
    if choice.agent_id is not None:
        chosen = next(a for a in team if a.agent_id == choice.agent_id)
        assert chosen.online
        assert chosen.open_tickets < chosen.capacity
    if strategy == "least_loaded" and choice.agent_id is not None:
        available = [a for a in team if a.online and a.open_tickets < a.capacity]
        assert chosen.load == min(a.load for a in available)
