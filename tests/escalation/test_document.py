from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escalade.escalation
from escalade.core.conditions import CHANNELS, ORG_TIERS, PRIORITIES
from escalade.escalation.document import (
    METRICS,
    TRIGGERS,
    AddTag,
    CallWebhook,
    DocumentError,
    Escalate,
    EscalationDocument,
    EscalationPath,
    Level,
    Notify,
    RaisePriority,
    Reference,
    RoutingRule,
    Rule,
    SlaPolicy,
    Targets,
    TicketChanges,
    WarnAt,
    Webhook,
    dump_document,
    format_duration,
    load_document,
    parse_duration,
)

EXAMPLE = Path(escalade.escalation.__file__).with_name("example.yaml")


def problems_of(text):
    with pytest.raises(DocumentError) as caught:
        load_document(text)
    return [str(problem) for problem in caught.value.problems]


# --- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("4h", 14400), ("1h30m", 5400), ("2d", 172800), (45, 45)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["4x", "", "h", "30m1h", "1.5h", "-1h", "90", True, -5])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(text)


def test_format_duration_is_canonical_and_never_in_days():
    assert format_duration(5400) == "1h30m"
    assert format_duration(0) == "0s"
    assert format_duration(57600) == "16h"
    assert format_duration(90061) == "25h1m1s"


@given(st.integers(0, 10**9))
def test_duration_round_trip(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_any_spelling_formats_to_its_canonical_form(days, hours, minutes, seconds):
    text = f"{days}d{hours}h{minutes}m{seconds}s"
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


# --- the example ----------------------------------------------------------------------


def load_example():
    return load_document(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))


def test_the_example_document_describes_scenario_1():
    doc = load_example()
    vip = doc.sla_policies[0]
    assert vip.name == "VIP"
    assert vip.when == {"org_tier": ("vip",)}
    assert vip.calendar == "oslo"
    assert vip.pause_on == ("pending", "on_hold")
    assert vip.targets["normal"] == Targets(
        first_response=3600, next_response=4 * 3600, resolution=16 * 3600
    )
    assert vip.warn_at == (WarnAt(percent=75), WarnAt(percent=90))
    assert doc.calendars["oslo"]["timezone"] == "Europe/Oslo"
    assert doc.calendars["oslo"]["hours"]["fri"] == ["08:00-16:00"]
    assert doc.calendars["oslo"]["holidays"] == {"country": "NO"}
    assert doc.calendars["always"]["hours"] == "24/7"

    assert doc.routing[0] == RoutingRule(
        "Norwegian billing",
        {"language": ("nb",), "keywords": ("faktura", "belastet", "dobbelt", "refusjon")},
        "billing-l1",
        TicketChanges(category="billing"),
    )
    billing = doc.paths[0]
    assert [(lvl.team, lvl.role) for lvl in billing.levels] == [
        ("billing-l1", None),
        ("billing-l2", None),
        (None, "manager"),
    ]
    assert billing.levels[1].acknowledge == 1800
    breach = next(rule for rule in doc.rules if rule.name == "VIP first-response breach")
    assert breach.on == "sla_breach"
    assert breach.metric == "first_response"
    assert breach.actions[:2] == (Escalate("next_level"), Notify(("team_manager",)))
    assert breach.actions[3] == CallWebhook("ops-alerts")


def test_the_example_document_describes_scenarios_3_and_5():
    doc = load_example()
    rules = {rule.name: rule for rule in doc.rules}
    manager = rules["Customer asks for a manager"]
    assert manager.on == "customer_request"
    assert manager.actions[0] == Escalate("supervisor", acknowledge=1800)
    at_risk = rules["At risk"]
    assert (at_risk.on, at_risk.min_risk, at_risk.actions[0]) == (
        "risk",
        70,
        Escalate("next_level"),
    )
    default = doc.paths[-1]
    assert [lvl.role for lvl in default.levels] == [None, "supervisor", "manager"]
    assert default.levels[0].team == "current"


def test_references_point_at_the_line_that_names_them():
    doc = load_example()
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    references = doc.references()
    teams = {ref.name for ref in references if ref.kind == "team"}
    assert teams == {
        "billing-l1",
        "billing-l2",
        "tech-l2",
        "engineering-l3",
        "support-nb",
        "support-tr",
        "support-it",
        "support-pl",
        "support-zh",
        "support-en",
    }
    assert "current" not in teams
    for ref in references:
        line, _ = doc.position(ref.path)
        assert ref.name in lines[line - 1], ref


def test_the_django_layer_can_report_its_own_problems_at_the_right_line():
    doc = load_document("version: 1\nrouting:\n  - name: r\n    team: nosuchteam\n")
    (reference,) = doc.references()
    assert reference == Reference("team", "nosuchteam", "routing[0].team")
    problem = doc.problem(reference.path, "unknown team 'nosuchteam'")
    assert str(problem) == "line 4: routing[0].team: unknown team 'nosuchteam'"
    assert str(DocumentError([problem], "policy.yaml")) == (
        "policy.yaml: 1 problem\nline 4: routing[0].team: unknown team 'nosuchteam'"
    )


def test_the_example_round_trips():
    doc = load_example()
    assert load_document(dump_document(doc)) == doc


# --- problems -------------------------------------------------------------------------

BROKEN = """\
version: 1
calendars:
  oslo:
    timezone: Europe/Olso
    hours: {mon: [08:00-16:00, 15:00-17:00], fry: [09:00-16:00]}
sla_policies:
  - name: VIP
    when: {org_tier: [vipp]}
    calendar: oslu
    targets: {normal: {first_response: 1h}}
    warn_at: [120%]
paths:
  - name: Billing
    levels:
      - team: billing-l1
      - team: billing-l2
        time_limit: 4x
        notify: [assigne, webhook:nope]
rules:
  - name: Breach
    on: sla_braech
    actions: [{escalate: upward}]
"""


def test_every_problem_is_reported_with_its_line():
    assert problems_of(BROKEN) == [
        "line 4: calendars.oslo.timezone: 'Europe/Olso' is not a time zone "
        "(use e.g. Europe/Oslo, Asia/Shanghai)",
        "line 5: calendars.oslo.hours.mon: time ranges overlap",
        "line 5: calendars.oslo.hours.fry: unknown weekday (did you mean 'fri'?)",
        "line 8: sla_policies[0].when.org_tier[0]: unknown value 'vipp' (did you mean 'vip'?)",
        "line 9: sla_policies[0].calendar: unknown calendar 'oslu' (did you mean 'oslo'?) "
        "(define it under calendars)",
        "line 11: sla_policies[0].warn_at[0]: '120%' is not a warning threshold "
        "(use e.g. 75% or 15m before)",
        "line 17: paths[0].levels[1].time_limit: '4x' is not a duration (use e.g. 30m, 4h, 2d)",
        "line 18: paths[0].levels[1].notify[0]: 'assigne' is not a recipient "
        "(did you mean 'assignee'?) (use assignee, team, team_manager, supervisor, manager, "
        "role:<role>, agent:<username>, webhook:<name> or email:<address>)",
        "line 18: paths[0].levels[1].notify[1]: unknown webhook 'nope' (define it under webhooks)",
        "line 21: rules[0].on: 'sla_braech' is not one of sla_warning, sla_breach, level_timeout, "
        "ack_timeout, risk, customer_request, ticket_created, ticket_updated "
        "(did you mean 'sla_breach'?)",
        "line 22: rules[0].actions[0].escalate: 'upward' is not one of next_level, supervisor, "
        "manager",
    ]


def test_a_misspelt_key_is_both_unknown_and_missing():
    assert problems_of("version: 1\nsla_policies:\n  - name: A\n    tagrets: {}\n") == [
        "line 3: sla_policies[0]: missing 'targets'",
        "line 4: sla_policies[0].tagrets: unknown key (did you mean 'targets'?)",
    ]


def test_the_error_message_names_the_source_and_counts_problems():
    with pytest.raises(DocumentError) as caught:
        load_document(BROKEN, "company.yaml")
    message = str(caught.value)
    assert message.startswith("company.yaml: 11 problems\nline 4: calendars.oslo.timezone:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1: the document is empty (start it with version: 1)"),
        ("calendars: {}\n", "line 1: missing 'version'"),
        ("version: 2\n", "line 1: version: 2 is not supported (use 1)"),
        ("version: true\n", "line 1: version: True is not supported (use 1)"),
        ("version: 1\nversion: 1\n", "line 2: version: duplicate key 'version'"),
        (
            "version: 1\nrouting: [{name: a, team: !!int x}]\n",
            "line 2: routing[0].team: 'x' is not a valid int",
        ),
        (
            'version: 1\nrouting: [{name: a, team: "a\\n"}]\n',
            "line 2: routing[0].team: 'a\\n' is not a valid name",
        ),
        ("version: 1\nrouting: [\n", "line 3: not valid YAML: expected the node content"),
        (
            "version: 1\nrules: !!python/object/apply:os.system [ls]\n",
            "line 2: rules: unsupported YAML tag",
        ),
        (
            "version: 1\npolicies: []\n",
            "line 2: policies: unknown key (did you mean 'sla_policies'?)",
        ),
        (
            'version: 1\nrouting:\n  - name: "two\\nlines"\n    team: a\n',
            "line 3: routing[0].name: must be one non-empty line of text",
        ),
        (
            "version: 1\nsla_policies:\n  - name: A\n    targets: {normal: {first_respons: 1h}}\n",
            "line 4: sla_policies[0].targets.normal.first_respons: unknown key "
            "(did you mean 'first_response'?)",
        ),
        (
            "version: 1\nsla_policies:\n  - {name: A, targets: {normal: {resolution: 0}}}\n",
            "line 3: sla_policies[0].targets.normal.resolution: must be longer than zero",
        ),
        (
            "version: 1\ncalendars: {team: {timezone: UTC, hours: 24/7}}\n",
            "line 2: calendars.team: 'team' is reserved: it means the calendar of the ticket's team",
        ),
        (
            "version: 1\ncalendars: {x: {timezone: UTC, hours: 24/7, closed: [2026-12-31..2026-12-24]}}\n",
            "line 2: calendars.x.closed[0]: '2026-12-31..2026-12-24' ends before it starts",
        ),
        (
            "version: 1\nrouting:\n  - {name: A, team: a}\n  - {name: A, team: b}\n",
            "line 4: routing[1].name: 'A' is already used by routing[0]",
        ),
        (
            "version: 1\npaths:\n  - name: P\n    levels:\n      - {team: a, role: manager}\n",
            "line 5: paths[0].levels[0]: needs exactly one of the keys team, role or agent",
        ),
        (
            "version: 1\npaths:\n  - name: P\n    levels: []\n",
            "line 4: paths[0].levels: must not be empty",
        ),
        (
            "version: 1\nrules:\n  - {name: R, on: risk, actions: [escalate: next_level]}\n",
            "line 3: rules[0]: missing 'min_risk' (the score that fires a risk rule)",
        ),
        (
            "version: 1\nrules:\n  - name: R\n    on: ticket_created\n    metric: resolution\n"
            "    actions: [add_tag: x]\n",
            "line 5: rules[0].metric: only applies to on: sla_warning, sla_breach",
        ),
        (
            "version: 1\nrules:\n  - name: R\n    on: customer_request\n    actions:\n"
            "      - escalate: {to: manager, team: finance}\n",
            "line 6: rules[0].actions[0].escalate: needs exactly one of the keys to or team",
        ),
        (
            "version: 1\nrules:\n  - name: R\n    on: customer_request\n    actions:\n"
            "      - {add_tag: x, notify: [team]}\n",
            "line 6: rules[0].actions[0]: an action is a mapping with exactly one key, one of "
            "escalate, notify, raise_priority, add_tag, webhook",
        ),
        (
            "version: 1\nrules:\n  - {name: R, on: ticket_created, actions: [raise_priority: 4]}\n",
            "line 3: rules[0].actions[0].raise_priority: 4 is not a number of steps (1 to 3)",
        ),
        (
            "version: 1\nwebhooks:\n  hook: {url: 'ftp://x'}\n",
            "line 3: webhooks.hook.url: 'ftp://x' is not an http(s) URL",
        ),
    ],
)
def test_single_problems(text, expected):
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_yaml_1_1_traps_are_not_sprung():
    doc = load_document(
        "version: 1\n"
        "calendars:\n"
        "  oslo: {timezone: Europe/Oslo, hours: 24/7, closed: [2026-12-24],"
        " holidays: {country: NO}}\n"
        "routing:\n"
        "  - name: Norwegian\n"
        "    when: {language: [no, nb]}\n"
        "    team: support-nb\n"
        "rules:\n"
        "  - name: On\n"
        "    on: ticket_created\n"
        "    actions: [add_tag: on]\n"
    )
    assert doc.calendars["oslo"]["closed"] == ["2026-12-24"]  # a string, not a date
    assert doc.calendars["oslo"]["holidays"] == {"country": "NO"}  # not False
    assert doc.routing[0].when == {"language": ("no", "nb")}
    assert doc.rules[0].on == "ticket_created"  # the key `on` is not True
    assert doc.rules[0].actions == (AddTag("on"),)


def test_integer_durations_are_seconds():
    doc = load_document(
        "version: 1\nsla_policies:\n  - {name: A, targets: {low: {resolution: 090}}}\n"
    )
    assert doc.sla_policies[0].targets["low"].resolution == 90  # decimal, not octal


def test_an_alias_bomb_is_refused():
    bomb = "version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        bomb += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    assert problems_of(bomb) == [
        "line 1: the document expands to too many values (check its aliases)"
    ]


def test_defaults():
    doc = load_document(
        "version: 1\n"
        "sla_policies: [{name: A, targets: {low: {resolution: 8h}}}]\n"
        "paths: [{name: P, levels: [{role: supervisor}]}]\n"
        "rules: [{name: R, on: sla_breach, actions: [escalate: manager]}]\n"
        "webhooks: {hook: {url: 'https://example.invalid'}}\n"
    )
    policy = doc.sla_policies[0]
    assert (policy.when, policy.calendar, policy.pause_on, policy.warn_at) == (
        {},
        "team",
        ("pending", "on_hold"),
        (),
    )
    assert doc.paths[0].levels[0] == Level(role="supervisor", notify=("assignee", "team"))
    assert doc.rules[0].metric == "any"
    assert doc.webhooks["hook"] == Webhook("https://example.invalid", None, "json")


# --- round trip over generated documents ----------------------------------------------

slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True)
names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20
).filter(str.strip)
durations = st.integers(1, 10**7)
CALENDAR_SPECS = [
    {"timezone": "Europe/Oslo", "hours": {"mon": ["08:00-16:00"]}, "holidays": {"country": "NO"}},
    {"timezone": "UTC", "hours": "24/7"},
    {
        "timezone": "Asia/Shanghai",
        "hours": {"mon": ["09:00-12:00", "13:00-18:00"], "sat": []},
        "holidays": {"country": "CN", "subdivision": None},
        "closed": ["2026-12-24", "2026-12-27..2026-12-31"],
        "extra_open": {"2026-12-20": ["10:00-14:00"]},
    },
]


def _some(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True).map(tuple)


def _some_of(strategy):
    return st.lists(strategy, min_size=1, max_size=3, unique=True).map(tuple)


conditions = st.dictionaries(
    st.sampled_from(
        ["priority", "org_tier", "channel", "team", "language", "keywords", "customer"]
    ),
    st.none(),
    max_size=3,
).flatmap(
    lambda keys: st.fixed_dictionaries(
        {
            key: {
                "priority": _some(PRIORITIES),
                "org_tier": _some(ORG_TIERS),
                "channel": _some(CHANNELS),
                "team": _some_of(slugs),
                "language": _some(["nb", "no", "tr", "it", "pl", "zh-hans"]),
                "keywords": _some_of(names),
                "customer": _some(["a@b.no", "@example.com"]),
            }[key]
            for key in keys
        }
    )
)
targets = st.builds(
    Targets,
    first_response=st.none() | durations,
    next_response=st.none() | durations,
    periodic_update=st.none() | durations,
    resolution=durations,
)
warn_at = st.builds(WarnAt, percent=st.integers(1, 99)) | st.builds(
    WarnAt, seconds_before=durations
)


@st.composite
def documents(draw):
    calendars = draw(
        st.dictionaries(
            slugs.filter(lambda s: s not in ("team", "organisation")),
            st.sampled_from(CALENDAR_SPECS),
            max_size=2,
        )
    )
    webhooks = draw(
        st.dictionaries(
            slugs,
            st.builds(
                Webhook,
                url=st.sampled_from(["https://example.invalid/hook", "http://10.0.0.1:8080/x"]),
                secret_env=st.none() | st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True),
                format=st.sampled_from(["json", "slack"]),
            ),
            max_size=2,
        )
    )
    recipient = st.sampled_from(["assignee", "team", "team_manager", "supervisor", "manager"])
    recipient |= slugs.map("role:{}".format) | slugs.map("agent:{}".format)
    recipient |= st.sampled_from(["email:ops@example.com"])
    if webhooks:
        recipient |= st.sampled_from([f"webhook:{name}" for name in webhooks])
    recipients = st.lists(recipient, max_size=3).map(tuple)

    policies = st.builds(
        SlaPolicy,
        name=names,
        when=conditions,
        calendar=st.sampled_from(["team", "organisation", *calendars]),
        pause_on=_some(["new", "open", "pending", "on_hold"]) | st.just(()),
        targets=st.dictionaries(st.sampled_from(PRIORITIES), targets, min_size=1),
        warn_at=st.lists(warn_at, max_size=2).map(tuple),
    )
    routes = st.builds(
        RoutingRule,
        name=names,
        when=conditions,
        team=slugs,
        changes=st.builds(
            TicketChanges,
            category=st.none() | slugs,
            priority=st.none() | st.sampled_from(PRIORITIES),
            tags=st.lists(slugs, max_size=2).map(tuple),
        ),
    )
    level = st.one_of(
        st.builds(Level, team=slugs),
        st.builds(Level, role=st.sampled_from(["supervisor", "manager"])),
        st.builds(Level, agent=st.from_regex(r"[\w.@+-]{1,12}", fullmatch=True)),
    ).flatmap(
        lambda lvl: st.builds(
            Level,
            team=st.just(lvl.team),
            role=st.just(lvl.role),
            agent=st.just(lvl.agent),
            time_limit=st.none() | durations,
            notify=recipients,
            acknowledge=st.none() | durations,
        )
    )
    paths = st.builds(
        EscalationPath,
        name=names,
        when=conditions,
        levels=st.lists(level, min_size=1, max_size=3).map(tuple),
    )
    escalate = st.one_of(
        st.builds(
            Escalate,
            to=st.sampled_from(["next_level", "supervisor", "manager"]),
            acknowledge=st.none() | durations,
        ),
        st.builds(Escalate, to=st.just("team"), team=slugs, acknowledge=st.none() | durations),
    )
    action = st.one_of(
        escalate,
        st.builds(Notify, recipients=recipients.filter(bool)),
        st.builds(RaisePriority, steps=st.integers(1, 3)),
        st.builds(AddTag, tag=slugs),
    )
    if webhooks:
        action |= st.builds(CallWebhook, name=st.sampled_from(sorted(webhooks)))

    @st.composite
    def rules(draw_rule):
        trigger = draw_rule(st.sampled_from(TRIGGERS))
        is_sla = trigger in ("sla_warning", "sla_breach")
        return Rule(
            name=draw_rule(names),
            on=trigger,
            when=draw_rule(conditions),
            actions=tuple(draw_rule(st.lists(action, min_size=1, max_size=3))),
            metric=draw_rule(st.sampled_from([*METRICS, "any"])) if is_sla else None,
            threshold=draw_rule(st.none() | warn_at) if trigger == "sla_warning" else None,
            min_risk=draw_rule(st.integers(1, 100) | st.floats(0.5, 100))
            if trigger == "risk"
            else None,
        )

    def unique(strategy):
        return st.lists(strategy, max_size=3, unique_by=lambda item: item.name).map(tuple)

    return EscalationDocument(
        version=1,
        calendars=calendars,
        sla_policies=draw(unique(policies)),
        routing=draw(unique(routes)),
        paths=draw(unique(paths)),
        rules=draw(unique(rules())),
        webhooks=webhooks,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_round_trip(doc):
    text = dump_document(doc)
    assert load_document(text) == doc


@pytest.mark.parametrize("language", ["nb", "tr", "it", "pl", "zh-hans"])
def test_problems_are_told_in_the_readers_language(language):
    from django.utils import translation
    from django.utils.translation import gettext, ngettext

    text = "version: 1\nsla_policies:\n  - name: A\n    tagrets: {}\n"
    with translation.override(language):
        with pytest.raises(DocumentError) as caught:
            load_document(text, "company.yaml")
        located = gettext("line %(line)s: %(path)s: %(message)s")
        missing = located % {
            "line": 3,
            "path": "sla_policies[0]",
            "message": gettext("missing '%(key)s'") % {"key": "targets"},
        }
        unknown = located % {
            "line": 4,
            "path": "sla_policies[0].tagrets",
            "message": gettext("unknown key%(hint)s")
            % {"hint": gettext(" (did you mean '%(word)s'?)") % {"word": "targets"}},
        }
        header = ngettext("%(source)s: %(count)d problem", "%(source)s: %(count)d problems", 2)
    assert str(caught.value).splitlines() == [
        header % {"source": "company.yaml", "count": 2},
        missing,
        unknown,
    ]
    assert "missing" not in missing
    assert "unknown key" not in unknown
