"""`explain` as text for the terminal: what a supervisor reads to answer "why, and what next"."""

from django.utils.translation import gettext as _


def _fmt(moment) -> str:
    return (
        moment.strftime("%Y-%m-%d %H:%M:%S %Z")
        if hasattr(moment, "strftime")
        else str(moment or "—")
    )


def render(report: dict) -> str:
    ticket = report["ticket"]
    lines = [
        _("Ticket #%(id)s %(subject)s") % ticket,
        _(
            "  status %(status)s, priority %(priority)s, level %(level)s, team %(team)s, assignee %(assignee)s"
        )
        % ticket,
        _("  as of %(at)s") % {"at": _fmt(ticket["at"])},
        "",
    ]
    routing = report["routing"]
    lines.append(_("Routing:"))
    if routing and routing.get("rule"):
        lines.append(_("  rule %(rule)s → %(team)s") % routing)
        lines += [f"    · {reason}" for reason in routing.get("reasons", [])]
    else:
        lines.append(_("  no routing rule chose the team"))
    if routing and routing.get("assignment"):
        lines.append(f"    · {routing['assignment']}")
    sla = report["sla"]
    lines += ["", _("SLA policy: %(policy)s") % {"policy": sla["policy"] or _("none")}]
    lines += [f"    · {reason}" for reason in sla["reasons"]]
    for skipped in sla["skipped"]:
        lines.append(
            _("    (skipped %(policy)s: %(why)s)")
            % {"policy": skipped["policy"], "why": "; ".join(skipped["reasons"])}
        )
    for clock in sla["clocks"]:
        lines.append(
            _("  %(metric)s: %(state)s, used %(used)ss of %(target)ss, due %(due)s")
            % {
                "metric": clock["metric"],
                "state": clock["state"],
                "used": clock["used_seconds"],
                "target": clock["target_seconds"],
                "due": _fmt(clock["due_at"]),
            }
        )
    path = report["path"]
    lines += [""]
    if path:
        lines.append(
            _("Escalation path: %(name)s, at level %(level)s since %(since)s")
            % {
                "name": path["name"],
                "level": path["level"],
                "since": _fmt(path["level_entered_at"]),
            }
        )
        lines += [f"    · {reason}" for reason in path["reasons"]]
        for number, level in enumerate(path["levels"], start=1):
            marker = "▶" if number == path["level"] else " "
            who = level.get("team") or level.get("role") or level.get("agent")
            lines.append(
                f"  {marker} {number}. {who}  limit={level.get('time_limit') or '—'}s ack={level.get('acknowledge') or '—'}s notify={','.join(level.get('notify') or [])}"
            )
    else:
        lines.append(_("Escalation path: none"))
    risk = report["risk"]
    lines += ["", _("Risk: %(score)s") % risk]
    lines += [
        f"    · {f['name']} {f['points']:+}: {f['explanation']}"
        for f in risk["factors"]
        if f["points"]
    ]
    lines += ["", _("History:")]
    if not report["history"]:
        lines.append(_("  no escalation yet"))
    for record in report["history"]:
        lines.append(
            _(
                "  %(at)s %(kind)s/%(trigger)s L%(from)s→L%(to)s %(team)s %(agent)s by %(actor)s: %(reason)s"
            )
            % {
                "at": _fmt(record["at"]),
                "kind": record["kind"],
                "trigger": record["trigger"],
                "from": record["from"]["level"],
                "to": record["to"]["level"],
                "team": record["to"]["team"] or "",
                "agent": record["to"]["agent"] or "",
                "actor": record["actor"],
                "reason": record["reason"],
            }
        )
    lines += ["", _("What happens next if nothing changes:")]
    if not report["timeline"]:
        lines.append(_("  nothing is scheduled"))
    for event in report["timeline"]:
        lines.append(f"  {_fmt(event['at'])}  {event['what']}")
        lines += [f"      → {then}" for then in event["then"]]
    return "\n".join(lines)
