"""The escalation document: one YAML file with the company's whole escalation setup.

`load_document` parses and validates it, reporting every problem with its line number;
`dump_document` writes a document back as YAML that loads to an equal document.
The format is described in docs/escalation-document.md. Team slugs and usernames are not
known here: `EscalationDocument.references()` lists them for the Django layer to check.
"""

from __future__ import annotations

import datetime
import itertools
import re
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from escalade.core.conditions import (
    EMAIL,
    PRIORITIES,
    SLUG,
    SLUG_HINT,
    condition_errors,
    did_you_mean,
    is_single_line,
)
from escalade.core.messages import _, ngettext

# --- durations ------------------------------------------------------------------------

_DURATION_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")
DURATION_HINT = _("use e.g. 30m, 4h, 2d")


def parse_duration(value: str | int) -> int:
    """Seconds in "1h30m", "2d", "90s" or a plain int of seconds; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value} is negative")
        return value
    text = value.strip() if isinstance(value, str) else ""
    found = _DURATION.fullmatch(text) if text else None
    if not found:
        raise ValueError(
            _("'%(value)s' is not a duration (%(hint)s)")
            % {"value": value, "hint": _(DURATION_HINT)}
        )
    return sum(
        int(amount or 0) * size
        for amount, (_unit, size) in zip(found.groups(), _DURATION_UNITS, strict=True)
    )


def format_duration(seconds: int) -> str:
    """The canonical spelling: 5400 -> "1h30m", 144000 -> "40h", 0 -> "0s".

    Never in days: durations are business time, where "1d16h" would read as one business
    day and 16 hours although a "d" is 24 hours of business time.
    """
    if seconds < 0:
        raise ValueError(f"{seconds} is negative")
    parts = []
    for unit, size in _DURATION_UNITS[1:]:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


# --- vocabulary -----------------------------------------------------------------------

METRICS = ("first_response", "next_response", "periodic_update", "resolution")
PAUSABLE_STATUSES = ("new", "open", "pending", "on_hold")
DEFAULT_PAUSE_ON = ("pending", "on_hold")
CALENDAR_FROM_TEAM = "team"
CALENDAR_FROM_ORGANISATION = "organisation"
CURRENT_TEAM = "current"
"""A path level `team: current` is the team the ticket is in when the escalation starts."""
LEVEL_ROLES = ("supervisor", "manager")
DEFAULT_LEVEL_NOTIFY = ("assignee", "team")
NOTIFY_TARGETS = ("assignee", "team", "team_manager", "supervisor", "manager")
RECIPIENT_HINT = _(
    "use assignee, team, team_manager, supervisor, manager, "
    "role:<role>, agent:<username>, webhook:<name> or email:<address>"
)
TRIGGERS = (
    "sla_warning",
    "sla_breach",
    "level_timeout",
    "ack_timeout",
    "risk",
    "customer_request",
    "ticket_created",
    "ticket_updated",
)
SLA_TRIGGERS = ("sla_warning", "sla_breach")
ANY_METRIC = "any"
ESCALATE_TO = ("next_level", "supervisor", "manager")
ESCALATE_TO_TEAM = "team"
MAX_PRIORITY_STEPS = len(PRIORITIES) - 1
WEBHOOK_FORMATS = ("json", "slack")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24/7"

# Whole-value patterns: use with fullmatch.
_USERNAME = re.compile(r"[\w.@+-]+")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_URL = re.compile(r"https?://[^\s/]+\S*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_TIME_RANGE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_PERCENT = re.compile(r"(\d{1,2})%")
_BEFORE = re.compile(r"(.+?)\s+before")
# An alias bomb ("billion laughs") expands to more nodes than any real document has.
_MAX_NODES = 100_000


# --- the document ---------------------------------------------------------------------

Conditions = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        if self.path:
            return _("line %(line)s: %(path)s: %(message)s") % {
                "line": self.line,
                "path": self.path,
                "message": self.message,
            }
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class DocumentError(ValueError):
    """Every problem found in a document, sorted by position."""

    def __init__(self, problems: Sequence[Problem], source: str = "<string>") -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        self.source = source
        count = len(self.problems)
        header = ngettext(
            "%(source)s: %(count)d problem", "%(source)s: %(count)d problems", count
        ) % {"source": source, "count": count}
        super().__init__("\n".join([header, *(str(p) for p in self.problems)]))


@dataclass(frozen=True)
class Targets:
    """Business seconds allowed per metric; None when the metric has no target."""

    first_response: int | None = None
    next_response: int | None = None
    periodic_update: int | None = None
    resolution: int | None = None


@dataclass(frozen=True)
class WarnAt:
    """A warning threshold: a percentage of the target used, or a time before breach."""

    percent: int | None = None
    seconds_before: int | None = None

    def __str__(self) -> str:
        if self.percent is not None:
            return f"{self.percent}%"
        return f"{format_duration(self.seconds_before or 0)} before"


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    when: Conditions
    calendar: str
    """A calendar name, or "team" / "organisation" for the ticket's team's / org's calendar."""
    pause_on: tuple[str, ...]
    targets: dict[str, Targets]
    """Priority -> targets; a priority left out has no targets under this policy."""
    warn_at: tuple[WarnAt, ...] = ()


@dataclass(frozen=True)
class TicketChanges:
    category: str | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    """Tags added to the ticket."""


@dataclass(frozen=True)
class RoutingRule:
    name: str
    when: Conditions
    team: str
    changes: TicketChanges = TicketChanges()
    """Written `set:` in YAML."""


@dataclass(frozen=True)
class Level:
    """One level of a path: exactly one of team, role and agent is set."""

    team: str | None = None
    role: str | None = None
    agent: str | None = None
    time_limit: int | None = None
    notify: tuple[str, ...] = DEFAULT_LEVEL_NOTIFY
    acknowledge: int | None = None
    """Seconds the receiver has to acknowledge, else the ticket moves on; None: no ack needed."""


@dataclass(frozen=True)
class EscalationPath:
    name: str
    when: Conditions
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class Escalate:
    to: Literal["next_level", "supervisor", "manager", "team"]
    team: str | None = None
    """Set when `to` is "team": a functional escalation to that team."""
    acknowledge: int | None = None


@dataclass(frozen=True)
class Notify:
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class RaisePriority:
    steps: int


@dataclass(frozen=True)
class AddTag:
    tag: str


@dataclass(frozen=True)
class CallWebhook:
    name: str


Action = Escalate | Notify | RaisePriority | AddTag | CallWebhook


@dataclass(frozen=True)
class Rule:
    name: str
    on: str
    when: Conditions
    actions: tuple[Action, ...]
    metric: str | None = None
    """For sla_* triggers: one of METRICS or "any"; None for other triggers."""
    threshold: WarnAt | None = None
    """For sla_warning: only this warning threshold; None: any."""
    min_risk: float | None = None
    """For risk: the score (0..100) at or above which the rule fires."""


@dataclass(frozen=True)
class Webhook:
    url: str
    secret_env: str | None = None
    format: str = "json"


@dataclass(frozen=True)
class Reference:
    """A team, agent (username) or role named in the document, for the Django layer to check."""

    kind: Literal["team", "agent", "role"]
    name: str
    path: str


@dataclass(frozen=True)
class EscalationDocument:
    version: int = 1
    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Name -> business calendar spec for escalade.sla.calendar.BusinessCalendar.from_spec."""
    sla_policies: tuple[SlaPolicy, ...] = ()
    routing: tuple[RoutingRule, ...] = ()
    paths: tuple[EscalationPath, ...] = ()
    rules: tuple[Rule, ...] = ()
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    """(line, column) of each path in the source text; empty for a document built in code."""

    def position(self, path: str) -> tuple[int, int]:
        """Where `path` (or its nearest parent present in the source) starts; (0, 0) if unknown."""
        return _position(self.positions, path)

    def problem(self, path: str, message: str) -> Problem:
        """A Problem at `path`, so callers can report checks made outside this module."""
        line, column = self.position(path)
        return Problem(line, column, path, message)

    def references(self) -> list[Reference]:
        """Every team slug, username and role the document names, in document order."""
        return list(_references(self))


def _position(positions: dict[str, tuple[int, int]], path: str) -> tuple[int, int]:
    while path:
        if path in positions:
            return positions[path]
        path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
    return positions.get("", (0, 0))


def _condition_references(when: Conditions, path: str) -> Iterator[Reference]:
    for index, team in enumerate(when.get("team", ())):
        yield Reference("team", team, f"{path}.when.team[{index}]")


def _notify_references(recipients: Sequence[str], path: str) -> Iterator[Reference]:
    for index, recipient in enumerate(recipients):
        prefix, _colon, name = recipient.partition(":")
        if prefix in ("agent", "role"):
            yield Reference(prefix, name, f"{path}[{index}]")


def _references(doc: EscalationDocument) -> Iterator[Reference]:
    for index, policy in enumerate(doc.sla_policies):
        yield from _condition_references(policy.when, f"sla_policies[{index}]")
    for index, route in enumerate(doc.routing):
        yield from _condition_references(route.when, f"routing[{index}]")
        yield Reference("team", route.team, f"routing[{index}].team")
    for index, path in enumerate(doc.paths):
        yield from _condition_references(path.when, f"paths[{index}]")
        for level_index, level in enumerate(path.levels):
            where = f"paths[{index}].levels[{level_index}]"
            if level.team and level.team != CURRENT_TEAM:
                yield Reference("team", level.team, f"{where}.team")
            if level.agent:
                yield Reference("agent", level.agent, f"{where}.agent")
            yield from _notify_references(level.notify, f"{where}.notify")
    for index, rule in enumerate(doc.rules):
        yield from _condition_references(rule.when, f"rules[{index}]")
        for action_index, action in enumerate(rule.actions):
            where = f"rules[{index}].actions[{action_index}]"
            if isinstance(action, Escalate) and action.team:
                yield Reference("team", action.team, f"{where}.escalate.team")
            elif isinstance(action, Notify):
                yield from _notify_references(action.recipients, f"{where}.notify")


# --- YAML with YAML 1.2 scalars -------------------------------------------------------
# PyYAML follows YAML 1.1, where `on`, `no` and `yes` are booleans (so `on: sla_breach`
# would become `True: sla_breach` and `language: [no]` a False), `010` is octal and
# `2026-12-24` a date. Both ends use only the YAML 1.2 core forms instead.

_NULL, _BOOL = "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _Loader(yaml.SafeLoader):
    yaml_implicit_resolvers: dict = {}


class _Dumper(yaml.SafeDumper):
    yaml_implicit_resolvers: dict = {}


for _yaml_class in (_Loader, _Dumper):
    _yaml_class.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), [*"~nN", ""])
    _yaml_class.add_implicit_resolver(
        _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    _yaml_class.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
    _yaml_class.add_implicit_resolver(
        _FLOAT,
        re.compile(
            r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
            r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
        ),
        list("-+0123456789."),
    )


class _FlowList(list):
    """A list written inline: [a, b]."""


class _FlowMap(dict):
    """A mapping written inline: {a: 1}."""


_Dumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence(_SEQ, data, flow_style=True)
)
_Dumper.add_representer(
    _FlowMap, lambda dumper, data: dumper.represent_mapping(_MAP, data, flow_style=True)
)


def _scalar(node: yaml.ScalarNode) -> Any:
    """The value of a scalar; ValueError when an explicit tag does not fit (`!!int abc`)."""
    if node.tag == _NULL:
        return None
    if node.tag == _BOOL:
        return {"true": True, "false": False}[node.value.lower()]
    if node.tag == _INT:
        return int(node.value)
    if node.tag == _FLOAT:
        return float(node.value.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return node.value


Path = tuple[str | int, ...]


def render_path(path: Path) -> str:
    """("paths", 0, "levels", 1) -> "paths[0].levels[1]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _line_column(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Reader:
    """Turns composed YAML nodes into plain values and collects problems with positions."""

    def __init__(self) -> None:
        self.positions: dict[str, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._nodes_seen = 0

    def report(self, path: Path, message: str, at: yaml.Mark | None = None) -> None:
        rendered = render_path(path)
        line, column = _line_column(at) if at else _position(self.positions, rendered)
        self.problems.append(Problem(line, column, rendered, message))

    def plain(self, node: yaml.Node, path: Path, active: frozenset[int] = frozenset()) -> Any:
        self._nodes_seen += 1
        if self._nodes_seen > _MAX_NODES or id(node) in active:
            raise _TooLarge
        self.positions.setdefault(render_path(path), _line_column(node.start_mark))
        if node.tag not in (_NULL, _BOOL, _INT, _FLOAT, _STR, _SEQ, _MAP):
            self.report(path, _("unsupported YAML tag %(tag)s") % {"tag": node.tag})
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                return _scalar(node)
            except (KeyError, ValueError):
                self.report(
                    path,
                    _("'%(value)s' is not a valid %(type)s")
                    % {"value": node.value, "type": node.tag.rsplit(":", 1)[-1]},
                )
                return node.value
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            return [self.plain(item, (*path, i), active) for i, item in enumerate(node.value)]
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(path, _("keys must be plain text"), at=key_node.start_mark)
                continue
            # Keys are names, never YAML booleans: `on:` stays "on".
            key = key_node.value
            key_path = (*path, key)
            if key in mapping:
                message = _("duplicate key '%(key)s'") % {"key": key}
                self.report(key_path, message, at=key_node.start_mark)
                continue
            self.positions[render_path(key_path)] = _line_column(key_node.start_mark)
            mapping[key] = self.plain(value_node, key_path, active)
        return mapping


class _TooLarge(Exception):
    """The YAML expands (through aliases) beyond any sensible document."""


# --- validation -----------------------------------------------------------------------
# Every check reports its problem and returns a best-effort value, so one pass finds all
# problems; the document is only returned when there were none.

# Calendar names that stand for a calendar found at run time.
RESERVED_CALENDAR_NAMES = {
    CALENDAR_FROM_TEAM: lambda: _("'team' is reserved: it means the calendar of the ticket's team"),
    CALENDAR_FROM_ORGANISATION: lambda: _(
        "'organisation' is reserved: it means the calendar of the customer's organisation"
    ),
}
SECTIONS = ("version", "calendars", "sla_policies", "routing", "paths", "rules", "webhooks")
ACTION_KINDS = ("escalate", "notify", "raise_priority", "add_tag", "webhook")

Parse = Callable[[Any, Path], Any]


def _describe(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) and is_single_line(value) else repr(value)


class _Validator:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.report = reader.report
        self.calendar_names: list[str] = []
        self.webhook_names: list[str] = []

    # generic shapes

    def mapping(
        self, value: Any, path: Path, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The mapping, with unknown and missing keys reported; {} when it is not one."""
        if not isinstance(value, dict):
            self.report(
                path,
                _("must be a mapping with keys such as %(keys)s")
                % {"keys": ", ".join(allowed[:3])},
            )
            return {}
        for key in value:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.report((*path, key), _("unknown key%(hint)s") % {"hint": hint})
        for key in required:
            if value.get(key) is None:
                self.report(path, _("missing '%(key)s'") % {"key": key})
        return value

    def mapping_of(self, value: Any, path: Path, problem: str) -> dict[str, Any]:
        """The mapping; `problem` reported when it is not one."""
        if not isinstance(value, dict):
            self.report(path, problem)
            return {}
        return value

    def field(
        self, spec: dict[str, Any], path: Path, key: str, parse: Parse, default: Any = None
    ) -> Any:
        """`spec[key]` parsed, or `default` when it is absent or null."""
        value = spec.get(key)
        return default if value is None else parse(value, (*path, key))

    def items(self, value: Any, path: Path, parse_item: Parse, non_empty: bool = False) -> tuple:
        if not isinstance(value, list):
            self.report(path, _("must be a list"))
            return ()
        if non_empty and not value:
            self.report(path, _("must not be empty"))
        return tuple(parse_item(item, (*path, index)) for index, item in enumerate(value))

    def list_of(self, parse_item: Parse, non_empty: bool = False) -> Parse:
        return lambda value, path: self.items(value, path, parse_item, non_empty)

    def one_of(self, allowed: Sequence[str]) -> Parse:
        def parse(value: Any, path: Path) -> str | None:
            if value in allowed:
                return value
            hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
            self.report(
                path,
                _("%(value)s is not one of %(allowed)s%(hint)s")
                % {"value": _describe(value), "allowed": ", ".join(allowed), "hint": hint},
            )
            return None

        return parse

    def matching(self, pattern: re.Pattern[str], problem: str, **params: str) -> Parse:
        """Text matching `pattern`; else `problem`, a message about %(value)s, is reported."""

        def parse(value: Any, path: Path) -> str | None:
            if isinstance(value, str) and pattern.fullmatch(value):
                return value
            self.report(path, problem % {"value": _describe(value), **params})
            return None

        return parse

    def text(self, value: Any, path: Path) -> str | None:
        if isinstance(value, str) and value.strip() and is_single_line(value):
            return value
        self.report(path, _("must be one non-empty line of text"))
        return None

    def slug(self, value: Any, path: Path) -> str | None:
        problem = _("%(value)s is not a valid name (%(hint)s)")
        return self.matching(SLUG, problem, hint=_(SLUG_HINT))(value, path)

    def duration(self, value: Any, path: Path) -> int | None:
        try:
            seconds = parse_duration(value)
        except ValueError:
            self.report(
                path,
                _("%(value)s is not a duration (%(hint)s)")
                % {"value": _describe(value), "hint": _(DURATION_HINT)},
            )
            return None
        if seconds == 0:
            self.report(path, _("must be longer than zero"))
        return seconds

    def conditions(self, value: Any, path: Path) -> Conditions:
        errors = condition_errors(value)
        for error in errors:
            where = (*path, error.key) if error.key else path
            self.report((*where, error.index) if error.index is not None else where, error.message)
        return {} if errors else {key: tuple(values) for key, values in value.items()}

    def named_items(self, value: Any, path: Path, parse_item: Parse) -> tuple:
        """A section's list, whose items' names must be unique (explain refers to them)."""
        first_use: dict[str, int] = {}
        for index, item in enumerate(value if isinstance(value, list) else ()):
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name in first_use:
                used_by = render_path((*path, first_use[name]))
                message = _("'%(name)s' is already used by %(path)s") % {
                    "name": name,
                    "path": used_by,
                }
                self.report((*path, index, "name"), message)
            elif isinstance(name, str):
                first_use[name] = index
        return self.items(value, path, parse_item)

    # the document

    def document(self, root: Any) -> EscalationDocument:
        top = self.mapping(root, (), SECTIONS, required=("version",))
        version = top.get("version")
        if version is not None and (type(version) is not int or version != 1):
            message = _("%(value)s is not supported (use 1)") % {"value": _describe(version)}
            self.report(("version",), message)
        # Sections others refer to come first, so every reference can be checked.
        calendars = self.field(top, (), "calendars", self.calendars, {})
        webhooks = self.field(top, (), "webhooks", self.webhooks, {})

        def section(name: str, parse_item: Parse) -> tuple:
            return self.field(top, (), name, lambda v, p: self.named_items(v, p, parse_item), ())

        return EscalationDocument(
            version=1,
            calendars=calendars,
            sla_policies=section("sla_policies", self.sla_policy),
            routing=section("routing", self.routing_rule),
            paths=section("paths", self.path),
            rules=section("rules", self.rule),
            webhooks=webhooks,
            positions=self.reader.positions,
        )

    # calendars

    def calendars(self, value: Any, path: Path) -> dict[str, dict[str, Any]]:
        calendars = self.mapping_of(
            value, path, _("must be a mapping of calendar name to calendar")
        )
        self.calendar_names = list(calendars)
        for name, spec in calendars.items():
            if name in RESERVED_CALENDAR_NAMES:
                self.report((*path, name), RESERVED_CALENDAR_NAMES[name]())
            else:
                self.slug(name, (*path, name))
            self.calendar(spec, (*path, name))
        return calendars

    def calendar(self, value: Any, path: Path) -> None:
        keys = ("timezone", "hours", "holidays", "closed", "extra_open")
        spec = self.mapping(value, path, keys, required=("timezone", "hours"))
        self.field(spec, path, "timezone", self.timezone)
        self.field(spec, path, "hours", self.hours)
        self.field(spec, path, "holidays", self.holidays)
        self.field(spec, path, "closed", self.list_of(self.closed_days))
        self.field(spec, path, "extra_open", self.extra_open)

    def timezone(self, value: Any, path: Path) -> None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            message = _("%(value)s is not a time zone (use e.g. Europe/Oslo, Asia/Shanghai)")
            self.report(path, message % {"value": _describe(value)})

    def hours(self, value: Any, path: Path) -> None:
        if value == ALWAYS_OPEN:
            return
        if not isinstance(value, dict):
            message = _("must be '%(always)s' or a mapping like mon: [08:00-16:00]")
            self.report(path, message % {"always": ALWAYS_OPEN})
            return
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                hint = did_you_mean(day, WEEKDAYS)
                self.report((*path, day), _("unknown weekday%(hint)s") % {"hint": hint})
            self.time_ranges(ranges, (*path, day))

    def time_ranges(self, value: Any, path: Path) -> None:
        if not isinstance(value, list):
            self.report(path, _("must be a list like [08:00-16:00]"))
            return
        minutes = [self.time_range(text, (*path, index)) for index, text in enumerate(value)]
        spans = sorted(span for span in minutes if span)
        if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)):
            self.report(path, _("time ranges overlap"))

    def time_range(self, value: Any, path: Path) -> tuple[int, int] | None:
        found = _TIME_RANGE.fullmatch(value) if isinstance(value, str) else None
        if found:
            start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
            start, end = start_h * 60 + start_m, end_h * 60 + end_m
            if max(start_m, end_m) < 60 and start < end <= 24 * 60:
                return start, end
        message = _("%(value)s is not an opening time range (e.g. 08:00-16:00)")
        self.report(path, message % {"value": _describe(value)})
        return None

    def holidays(self, value: Any, path: Path) -> None:
        spec = self.mapping(value, path, ("country", "subdivision"), required=("country",))
        self.field(
            spec,
            path,
            "country",
            self.matching(_COUNTRY, _("%(value)s is not a country code (e.g. NO, TR)")),
        )
        self.field(spec, path, "subdivision", self.text)

    def date(self, value: Any, path: Path) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            message = _("%(value)s is not a date (use e.g. 2026-12-24)")
            self.report(path, message % {"value": _describe(value)})
            return None

    def closed_days(self, value: Any, path: Path) -> None:
        """A date, or an inclusive range of dates like 2026-12-27..2026-12-31."""
        first, separator, last = (
            value.partition("..") if isinstance(value, str) else (value, "", "")
        )
        start = self.date(first, path)
        end = self.date(last, path) if separator else start
        if start and end and end < start:
            self.report(path, _("%(value)s ends before it starts") % {"value": _describe(value)})

    def extra_open(self, value: Any, path: Path) -> None:
        for day, ranges in self.mapping_of(
            value, path, _("must be a mapping of date to opening hours")
        ).items():
            self.date(day, (*path, day))
            self.time_ranges(ranges, (*path, day))

    # webhooks

    def webhooks(self, value: Any, path: Path) -> dict[str, Webhook]:
        webhooks = self.mapping_of(value, path, _("must be a mapping of webhook name to webhook"))
        self.webhook_names = list(webhooks)
        for name in webhooks:
            self.slug(name, (*path, name))
        return {name: self.webhook(spec, (*path, name)) for name, spec in webhooks.items()}

    def webhook(self, value: Any, path: Path) -> Webhook:
        spec = self.mapping(value, path, ("url", "secret_env", "format"), required=("url",))
        return Webhook(
            url=self.field(
                spec, path, "url", self.matching(_URL, _("%(value)s is not an http(s) URL"))
            ),
            secret_env=self.field(
                spec,
                path,
                "secret_env",
                self.matching(_ENV_NAME, _("%(value)s is not an environment variable name")),
            ),
            format=self.field(spec, path, "format", self.one_of(WEBHOOK_FORMATS), "json"),
        )

    def webhook_reference(self, value: Any, path: Path) -> str | None:
        if value in self.webhook_names:
            return value
        hint = did_you_mean(value, self.webhook_names) if isinstance(value, str) else ""
        message = _("unknown webhook %(value)s%(hint)s (define it under webhooks)")
        self.report(path, message % {"value": _describe(value), "hint": hint})
        return None

    # SLA policies

    def sla_policy(self, value: Any, path: Path) -> SlaPolicy:
        keys = ("name", "when", "calendar", "pause_on", "targets", "warn_at")
        spec = self.mapping(value, path, keys, required=("name", "targets"))
        return SlaPolicy(
            name=self.field(spec, path, "name", self.text),
            when=self.field(spec, path, "when", self.conditions, {}),
            calendar=self.field(
                spec, path, "calendar", self.calendar_reference, CALENDAR_FROM_TEAM
            ),
            pause_on=self.field(
                spec,
                path,
                "pause_on",
                self.list_of(self.one_of(PAUSABLE_STATUSES)),
                DEFAULT_PAUSE_ON,
            ),
            targets=self.field(spec, path, "targets", self.targets, {}),
            warn_at=self.field(spec, path, "warn_at", self.list_of(self.warn_at), ()),
        )

    def calendar_reference(self, value: Any, path: Path) -> str | None:
        known = (CALENDAR_FROM_TEAM, CALENDAR_FROM_ORGANISATION, *self.calendar_names)
        if value in known:
            return value
        hint = did_you_mean(value, known) if isinstance(value, str) else ""
        message = _("unknown calendar %(value)s%(hint)s (define it under calendars)")
        self.report(path, message % {"value": _describe(value), "hint": hint})
        return None

    def targets(self, value: Any, path: Path) -> dict[str, Targets]:
        by_priority = self.mapping(value, path, PRIORITIES)
        if isinstance(value, dict) and not value:
            self.report(path, _("must set targets for at least one priority"))
        return {
            priority: self.priority_targets(metrics, (*path, priority))
            for priority, metrics in by_priority.items()
            if priority in PRIORITIES
        }

    def priority_targets(self, value: Any, path: Path) -> Targets:
        by_metric = self.mapping(value, path, METRICS)
        if isinstance(value, dict) and not value:
            message = _("must set at least one of %(metrics)s") % {"metrics": ", ".join(METRICS)}
            self.report(path, message)
        return Targets(
            **{metric: self.field(by_metric, path, metric, self.duration) for metric in METRICS}
        )

    def warn_at(self, value: Any, path: Path) -> WarnAt | None:
        text = value.strip() if isinstance(value, str) else ""
        percent, before = _PERCENT.fullmatch(text), _BEFORE.fullmatch(text)
        if percent and 0 < int(percent.group(1)) < 100:
            return WarnAt(percent=int(percent.group(1)))
        if before and _DURATION.fullmatch(before.group(1)) and parse_duration(before.group(1)) > 0:
            return WarnAt(seconds_before=parse_duration(before.group(1)))
        message = _("%(value)s is not a warning threshold (use e.g. 75%% or 15m before)")
        self.report(path, message % {"value": _describe(value)})
        return None

    # routing

    def routing_rule(self, value: Any, path: Path) -> RoutingRule:
        spec = self.mapping(value, path, ("name", "when", "team", "set"), ("name", "team"))
        return RoutingRule(
            name=self.field(spec, path, "name", self.text),
            when=self.field(spec, path, "when", self.conditions, {}),
            team=self.field(spec, path, "team", self.slug),
            changes=self.field(spec, path, "set", self.ticket_changes, TicketChanges()),
        )

    def ticket_changes(self, value: Any, path: Path) -> TicketChanges:
        spec = self.mapping(value, path, ("category", "priority", "tags"))
        return TicketChanges(
            category=self.field(spec, path, "category", self.slug),
            priority=self.field(spec, path, "priority", self.one_of(PRIORITIES)),
            tags=self.field(spec, path, "tags", self.list_of(self.slug), ()),
        )

    # paths

    def path(self, value: Any, path: Path) -> EscalationPath:
        spec = self.mapping(value, path, ("name", "when", "levels"), ("name", "levels"))
        return EscalationPath(
            name=self.field(spec, path, "name", self.text),
            when=self.field(spec, path, "when", self.conditions, {}),
            levels=self.field(spec, path, "levels", self.list_of(self.level, non_empty=True), ()),
        )

    def level(self, value: Any, path: Path) -> Level:
        receivers = ("team", "role", "agent")
        keys = (*receivers, "time_limit", "notify", "acknowledge")
        spec = self.mapping(value, path, keys)
        if isinstance(value, dict) and sum(spec.get(key) is not None for key in receivers) != 1:
            self.report(path, _("needs exactly one of the keys team, role or agent"))
        return Level(
            team=self.field(spec, path, "team", self.slug),
            role=self.field(spec, path, "role", self.one_of(LEVEL_ROLES)),
            agent=self.field(
                spec, path, "agent", self.matching(_USERNAME, _("%(value)s is not a username"))
            ),
            time_limit=self.field(spec, path, "time_limit", self.duration),
            notify=self.field(
                spec, path, "notify", self.list_of(self.recipient), DEFAULT_LEVEL_NOTIFY
            ),
            acknowledge=self.field(spec, path, "acknowledge", self.duration),
        )

    def recipient(self, value: Any, path: Path) -> str | None:
        if value in NOTIFY_TARGETS:
            return value
        prefix, _colon, name = value.partition(":") if isinstance(value, str) else ("", "", "")
        if prefix == "webhook":
            return value if self.webhook_reference(name, path) else None
        pattern = {"role": SLUG, "agent": _USERNAME, "email": EMAIL}.get(prefix)
        if pattern and pattern.fullmatch(name):
            return value
        hint = did_you_mean(value, NOTIFY_TARGETS) if isinstance(value, str) else ""
        message = _("%(value)s is not a recipient%(hint)s (%(recipients)s)") % {
            "value": _describe(value),
            "hint": hint,
            "recipients": _(RECIPIENT_HINT),
        }
        self.report(path, message)
        return None

    # rules

    def rule(self, value: Any, path: Path) -> Rule:
        keys = ("name", "on", "metric", "threshold", "min_risk", "when", "actions")
        spec = self.mapping(value, path, keys, required=("name", "on", "actions"))
        trigger = self.field(spec, path, "on", self.one_of(TRIGGERS))
        if trigger == "risk" and spec.get("min_risk") is None:
            self.report(path, _("missing 'min_risk' (the score that fires a risk rule)"))
        for key, triggers in (
            ("metric", SLA_TRIGGERS),
            ("threshold", ("sla_warning",)),
            ("min_risk", ("risk",)),
        ):
            if key in spec and trigger and trigger not in triggers:
                message = _("only applies to on: %(triggers)s") % {"triggers": ", ".join(triggers)}
                self.report((*path, key), message)
        default_metric = ANY_METRIC if trigger in SLA_TRIGGERS else None
        return Rule(
            name=self.field(spec, path, "name", self.text),
            on=trigger,
            when=self.field(spec, path, "when", self.conditions, {}),
            actions=self.field(
                spec, path, "actions", self.list_of(self.action, non_empty=True), ()
            ),
            metric=self.field(
                spec, path, "metric", self.one_of((*METRICS, ANY_METRIC)), default_metric
            ),
            threshold=self.field(spec, path, "threshold", self.warn_at),
            min_risk=self.field(spec, path, "min_risk", self.risk_level),
        )

    def risk_level(self, value: Any, path: Path) -> float | None:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 100:
            return value
        message = _("%(value)s is not a risk score (a number above 0, at most 100)")
        self.report(path, message % {"value": _describe(value)})
        return None

    def action(self, value: Any, path: Path) -> Action | None:
        if not isinstance(value, dict) or len(value) != 1:
            message = _("an action is a mapping with exactly one key, one of %(kinds)s") % {
                "kinds": ", ".join(ACTION_KINDS)
            }
            self.report(path, message)
            return None
        ((kind, argument),) = value.items()
        where = (*path, kind)
        if kind == "escalate":
            return self.escalate(argument, where)
        if kind == "notify":
            return Notify(self.items(argument, where, self.recipient, non_empty=True))
        if kind == "raise_priority":
            return RaisePriority(self.priority_steps(argument, where))
        if kind == "add_tag":
            return AddTag(self.slug(argument, where))
        if kind == "webhook":
            return CallWebhook(self.webhook_reference(argument, where))
        hint = did_you_mean(kind, ACTION_KINDS)
        self.report(where, _("unknown action%(hint)s") % {"hint": hint})
        return None

    def escalate(self, value: Any, path: Path) -> Escalate:
        if not isinstance(value, dict):
            return Escalate(self.one_of(ESCALATE_TO)(value, path))
        spec = self.mapping(value, path, ("to", "team", "acknowledge"))
        if (spec.get("to") is None) == (spec.get("team") is None):
            self.report(path, _("needs exactly one of the keys to or team"))
        acknowledge = self.field(spec, path, "acknowledge", self.duration)
        if spec.get("team") is not None:
            return Escalate(ESCALATE_TO_TEAM, self.slug(spec["team"], (*path, "team")), acknowledge)
        return Escalate(self.field(spec, path, "to", self.one_of(ESCALATE_TO)), None, acknowledge)

    def priority_steps(self, value: Any, path: Path) -> int | None:
        if type(value) is int and 1 <= value <= MAX_PRIORITY_STEPS:
            return value
        message = _("%(value)s is not a number of steps (1 to %(most)s)")
        self.report(path, message % {"value": _describe(value), "most": MAX_PRIORITY_STEPS})
        return None


# --- loading and dumping --------------------------------------------------------------


def _yaml_error_position(error: yaml.YAMLError, text: str) -> tuple[int, int]:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return _line_column(mark)
    position = getattr(error, "position", None)  # a ReaderError: a bad character
    if position is not None:
        line_start = text.rfind("\n", 0, position) + 1
        return text.count("\n", 0, position) + 1, position - line_start + 1
    return 1, 1


def load_document(text: str, source: str = "<string>") -> EscalationDocument:
    """Parse and validate an escalation document; DocumentError lists every problem."""

    def fail(line: int, column: int, message: str) -> DocumentError:
        return DocumentError([Problem(line, column, "", message)], source)

    try:
        root_node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        message = _("not valid YAML: %(problem)s") % {"problem": problem}
        raise fail(*_yaml_error_position(error, text), message) from None
    except RecursionError:
        raise fail(1, 1, _("the document is nested too deeply")) from None
    if root_node is None:
        raise fail(1, 1, _("the document is empty (start it with version: 1)"))
    reader = _Reader()
    try:
        root = reader.plain(root_node, ())
    except (_TooLarge, RecursionError):
        message = _("the document expands to too many values (check its aliases)")
        raise fail(1, 1, message) from None
    document = _Validator(reader).document(root)
    if reader.problems:
        raise DocumentError(reader.problems, source)
    return document


def _flow_conditions(when: Conditions) -> _FlowMap:
    return _FlowMap({key: _FlowList(values) for key, values in when.items()})


def _flow_leaves(value: Any) -> Any:
    """Lists of scalars and mappings of scalars written inline, the rest as blocks."""
    if isinstance(value, list):
        if all(not isinstance(item, list | dict) for item in value):
            return _FlowList(value)
        return [_flow_leaves(item) for item in value]
    if isinstance(value, dict):
        if value and all(not isinstance(item, list | dict) for item in value.values()):
            return _FlowMap(value)
        return {key: _flow_leaves(item) for key, item in value.items()}
    return value


def _with_conditions(plain: dict[str, Any], when: Conditions) -> dict[str, Any]:
    return {**plain, "when": _flow_conditions(when)} if when else plain


def _plain_policy(policy: SlaPolicy) -> dict[str, Any]:
    plain = _with_conditions({"name": policy.name}, policy.when)
    plain["calendar"] = policy.calendar
    plain["pause_on"] = _FlowList(policy.pause_on)
    plain["targets"] = {
        priority: _FlowMap(
            {
                metric: format_duration(seconds)
                for metric in METRICS
                if (seconds := getattr(targets, metric)) is not None
            }
        )
        for priority, targets in policy.targets.items()
    }
    if policy.warn_at:
        plain["warn_at"] = _FlowList(str(warn) for warn in policy.warn_at)
    return plain


def _plain_route(route: RoutingRule) -> dict[str, Any]:
    plain = _with_conditions({"name": route.name}, route.when)
    plain["team"] = route.team
    changes = route.changes
    fields = {"category": changes.category, "priority": changes.priority}
    fields = {key: value for key, value in fields.items() if value is not None}
    if changes.tags:
        fields["tags"] = _FlowList(changes.tags)
    if fields:
        plain["set"] = _FlowMap(fields)
    return plain


def _plain_level(level: Level) -> dict[str, Any]:
    plain: dict[str, Any] = {
        key: value
        for key, value in (("team", level.team), ("role", level.role), ("agent", level.agent))
        if value is not None
    }
    if level.time_limit is not None:
        plain["time_limit"] = format_duration(level.time_limit)
    plain["notify"] = _FlowList(level.notify)
    if level.acknowledge is not None:
        plain["acknowledge"] = format_duration(level.acknowledge)
    return plain


def _plain_path(path: EscalationPath) -> dict[str, Any]:
    plain = _with_conditions({"name": path.name}, path.when)
    plain["levels"] = [_plain_level(level) for level in path.levels]
    return plain


def _plain_escalate(action: Escalate) -> str | _FlowMap:
    if action.to != ESCALATE_TO_TEAM and action.acknowledge is None:
        return action.to
    plain = _FlowMap({"team": action.team} if action.to == ESCALATE_TO_TEAM else {"to": action.to})
    if action.acknowledge is not None:
        plain["acknowledge"] = format_duration(action.acknowledge)
    return plain


def _plain_action(action: Action) -> dict[str, Any]:
    if isinstance(action, Escalate):
        return {"escalate": _plain_escalate(action)}
    if isinstance(action, Notify):
        return {"notify": _FlowList(action.recipients)}
    if isinstance(action, RaisePriority):
        return {"raise_priority": action.steps}
    if isinstance(action, AddTag):
        return {"add_tag": action.tag}
    return {"webhook": action.name}


def _plain_rule(rule: Rule) -> dict[str, Any]:
    plain: dict[str, Any] = {"name": rule.name, "on": rule.on}
    if rule.metric is not None:
        plain["metric"] = rule.metric
    if rule.threshold is not None:
        plain["threshold"] = str(rule.threshold)
    if rule.min_risk is not None:
        plain["min_risk"] = rule.min_risk
    plain = _with_conditions(plain, rule.when)
    plain["actions"] = [_plain_action(action) for action in rule.actions]
    return plain


def _plain_webhook(webhook: Webhook) -> _FlowMap:
    plain = _FlowMap({"url": webhook.url})
    if webhook.secret_env is not None:
        plain["secret_env"] = webhook.secret_env
    plain["format"] = webhook.format
    return plain


def dump_document(doc: EscalationDocument) -> str:
    """YAML for `doc` that `load_document` reads back to an equal document."""
    plain: dict[str, Any] = {"version": doc.version}
    sections: list[tuple[str, Any]] = [
        ("calendars", {name: _flow_leaves(spec) for name, spec in doc.calendars.items()}),
        ("sla_policies", [_plain_policy(policy) for policy in doc.sla_policies]),
        ("routing", [_plain_route(route) for route in doc.routing]),
        ("paths", [_plain_path(path) for path in doc.paths]),
        ("rules", [_plain_rule(rule) for rule in doc.rules]),
        ("webhooks", {name: _plain_webhook(hook) for name, hook in doc.webhooks.items()}),
    ]
    plain.update((name, section) for name, section in sections if section)
    return yaml.dump(
        plain,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
