"""`escalade policy validate|apply|export`: the YAML document and the stored data are one."""

from pathlib import Path

import pytest

import escalade.escalation
from escalade.escalation.document import load_document
from escalade.sla.models import Calendar, SlaPolicy
from tests.processes import run_escalade

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLE = Path(escalade.escalation.__file__).with_name("example.yaml")
DEMO_TEAMS = (
    "support-en",
    "support-nb",
    "support-tr",
    "support-it",
    "support-pl",
    "support-zh",
    "billing-l1",
    "billing-l2",
    "tech-l2",
    "engineering-l3",
)


@pytest.fixture
def demo_org(make):
    for slug in DEMO_TEAMS:
        make.team(slug)
    for username in ("maria", "sofia", "henrik"):
        make.agent(username, role="manager")


def test_the_example_validates_applies_and_exports_back_to_the_same_document(demo_org, tmp_path):
    assert run_escalade("policy", "validate", str(EXAMPLE)).returncode == 0
    applied = run_escalade("policy", "apply", str(EXAMPLE))
    assert applied.returncode == 0, applied.stderr
    assert "3 sla_policies" in applied.stdout
    assert list(SlaPolicy.objects.order_by("position").values_list("name", flat=True)) == [
        "VIP",
        "Premium",
        "Standard",
    ]
    vip = SlaPolicy.objects.get(name="VIP")
    assert vip.targets["normal"]["first_response"] == 3600
    assert vip.warn_at == [{"percent": 75}, {"percent": 90}]
    assert Calendar.objects.get(name="oslo").spec["timezone"] == "Europe/Oslo"

    exported = tmp_path / "exported.yaml"
    assert run_escalade("policy", "export", str(exported)).returncode == 0
    original = load_document(EXAMPLE.read_text())
    again = load_document(exported.read_text())
    assert again.calendars == original.calendars
    assert again.sla_policies == original.sla_policies


def test_applying_twice_changes_nothing_and_removed_policies_go(demo_org, tmp_path):
    run_escalade("policy", "apply", str(EXAMPLE))
    first = list(SlaPolicy.objects.values_list("name", "position", "targets"))
    run_escalade("policy", "apply", str(EXAMPLE))
    assert list(SlaPolicy.objects.values_list("name", "position", "targets")) == first

    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(
        "version: 1\nsla_policies:\n  - name: Only\n    targets:\n      normal: {first_response: 2h}\n"
    )
    assert run_escalade("policy", "apply", str(smaller)).returncode == 0
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Only"]


def test_validation_errors_are_line_numbered_and_nothing_is_applied(demo_org, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "version: 1\n"
        "sla_policies:\n"
        "  - name: VIP\n"
        "    targets:\n"
        "      normal: {first_response: 4x}\n"
        "routing:\n"
        "  - name: r\n"
        "    team: no-such-team\n"
    )
    result = run_escalade("policy", "apply", str(broken))
    assert result.returncode == 1
    assert "line 5" in result.stderr
    assert "4x" in result.stderr
    assert SlaPolicy.objects.count() == 0


def test_unknown_teams_are_reported_with_their_line(demo_org, tmp_path):
    doc = tmp_path / "unknown.yaml"
    doc.write_text(
        "version: 1\nrouting:\n  - name: r\n    when: {language: [nb]}\n    team: finance-dept\n"
    )
    result = run_escalade("policy", "validate", str(doc))
    assert result.returncode == 1
    assert "line 5" in result.stderr
    assert "unknown team 'finance-dept'" in result.stderr


def test_the_command_line_speaks_the_site_language(demo_org, tmp_path):
    from django.utils import translation
    from django.utils.translation import gettext

    doc = tmp_path / "unknown.yaml"
    doc.write_text("version: 1\nrouting:\n  - name: r\n    team: økonomi\n", encoding="utf-8")
    result = run_escalade("policy", "validate", str(doc), ESCALADE_LANGUAGE="nb")
    with translation.override("nb"):
        expected = gettext("line %(line)s: %(path)s: %(message)s") % {
            "line": 4,
            "path": "routing[0].team",
            "message": gettext("%(value)s is not a valid name (%(hint)s)")
            % {
                "value": "'økonomi'",
                "hint": gettext("lower-case letters, digits, '-' and '_', e.g. billing-l1"),
            },
        }
    assert result.returncode == 1
    assert expected in result.stderr
    assert "is not" not in result.stderr

    unknown_language = run_escalade("policy", "validate", str(doc), ESCALADE_LANGUAGE="xx")
    assert unknown_language.returncode != 0
    assert "ESCALADE_LANGUAGE='xx' is not one of en, nb, tr, it, pl, zh-hans" in (
        unknown_language.stderr
    )


def test_unreadable_input_is_a_clear_cli_error(tmp_path):
    missing = run_escalade("policy", "validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert run_escalade("policy", "validate", str(binary)).returncode == 2


def test_the_document_over_http_is_admin_only_and_reports_line_numbers(demo_org, make):
    from django.test import Client
    from django.utils import translation
    from django.utils.translation import gettext

    admin = Client()
    admin.force_login(make.agent("root", role="admin").user)
    agent = Client()
    agent.force_login(make.agent("plain").user)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert (
        agent.put("/api/v1/policy", data=text, content_type="application/yaml").status_code == 403
    )
    applied = admin.put("/api/v1/policy", data=text, content_type="application/yaml")
    assert applied.status_code == 200, applied.content
    assert applied.json()["applied"]["paths"] == 3
    exported = admin.get("/api/v1/policy")
    assert exported.status_code == 200
    assert load_document(exported.content.decode()).paths == load_document(text).paths
    broken = admin.put(
        "/api/v1/policy",
        data="version: 1\nrules:\n  - name: x\n    on: sla_breech\n    actions: []\n",
        content_type="application/yaml",
    )
    assert broken.status_code == 422
    assert "line 4" in broken.json()["detail"]
    in_italian = admin.put(
        "/api/v1/policy",
        data="version: 1\nrules:\n  - name: x\n    on: sla_breach\n    actions: []\n",
        content_type="application/yaml",
        HTTP_ACCEPT_LANGUAGE="it",
    )
    with translation.override("it"):
        expected = gettext("line %(line)s: %(path)s: %(message)s") % {
            "line": 5,
            "path": "rules[0].actions",
            "message": gettext("must not be empty"),
        }
    assert in_italian.json()["detail"] == expected != "line 5: rules[0].actions: must not be empty"
    assert agent.get("/api/v1/policy").status_code == 403
