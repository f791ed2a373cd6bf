"""The demo company: what a newcomer gets from `escalade demo` / `escalade loaddemo`."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction

from escalade import cli, demo
from escalade.accounts.models import AgentProfile, Customer, Organisation, Team
from escalade.core import clock as clock_module
from escalade.core.models import OutboxMessage
from escalade.tickets.models import Message, Ticket, TicketEvent
from tests import factories

pytestmark = pytest.mark.django_db

TEAM_SLUGS = {
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
}
LANGUAGES = {"en", "nb", "tr", "it", "pl", "zh-hans"}
STATUSES = {"new", "open", "pending", "on_hold", "solved", "closed"}
CHANNELS = {"email", "chat", "phone", "social", "portal", "api"}


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "agents": AgentProfile.objects.count(),
        "teams": Team.objects.count(),
        "organisations": Organisation.objects.count(),
        "customers": Customer.objects.count(),
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "events": TicketEvent.objects.count(),
    }


@pytest.fixture
def loaded():
    return demo.load_demo()


@pytest.fixture(scope="class")
def shared_demo(django_db_setup, django_db_blocker):
    """One load for the read-only tests of a class, rolled back when the class is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo.load_demo()
        transaction.set_rollback(True)


def profile(username: str) -> AgentProfile:
    return AgentProfile.objects.select_related("user", "reports_to").get(user__username=username)


class TestTheLoadedDemo:
    """Read-only checks, sharing one load."""

    @pytest.fixture
    def loaded(self, shared_demo):
        return shared_demo

    def test_agents_find_starter_macros_in_all_six_languages(self, loaded):
        from escalade.workspace.models import Macro

        languages = set(Macro.objects.filter(owner=None).values_list("language", flat=True))
        assert {"en", "nb", "tr", "it", "pl", "zh-hans"} <= languages

    def test_loading_creates_the_teams_of_the_escalation_ladder(self, loaded):
        assert loaded.created is True
        teams = {team.slug: team for team in Team.objects.all()}
        assert set(teams) == TEAM_SLUGS

        norwegian = teams["support-nb"]
        assert (norwegian.function, norwegian.tier_level) == ("general", 1)
        assert (norwegian.timezone, norwegian.calendar) == ("Europe/Oslo", "oslo")
        for slug, zone, calendar in [
            ("support-tr", "Europe/Istanbul", "istanbul"),
            ("support-it", "Europe/Rome", "rome"),
            ("support-pl", "Europe/Warsaw", "warsaw"),
            ("support-zh", "Asia/Shanghai", "shanghai"),
            ("billing-l1", "Europe/Oslo", "oslo"),
        ]:
            assert (teams[slug].timezone, teams[slug].calendar) == (zone, calendar)
        assert {
            teams[slug].assignment_strategy for slug in TEAM_SLUGS if slug.startswith("support-")
        } == {"least_loaded"}
        assert (teams["billing-l1"].function, teams["billing-l1"].tier_level) == ("billing", 1)
        assert (teams["billing-l2"].function, teams["billing-l2"].tier_level) == ("billing", 2)
        assert (
            teams["billing-l1"].assignment_strategy
            == teams["billing-l2"].assignment_strategy
            == "skill_match"
        )
        assert (teams["tech-l2"].function, teams["tech-l2"].tier_level) == ("technical", 2)
        assert teams["tech-l2"].assignment_strategy == "round_robin"
        assert (teams["engineering-l3"].function, teams["engineering-l3"].tier_level) == (
            "engineering",
            3,
        )

        assert all(team.manager is not None for team in teams.values())
        assert teams["billing-l1"].manager.username == "henrik"
        assert teams["support-nb"].manager.username == "sofia"

    def test_front_line_agents_speak_their_team_s_language(self, loaded):
        expected = {
            "support-en": "en",
            "support-nb": "nb",
            "support-tr": "tr",
            "support-it": "it",
            "support-pl": "pl",
            "support-zh": "zh-hans",
        }
        for slug, language in expected.items():
            members = AgentProfile.objects.filter(teams__slug=slug)
            assert members.count() >= 2, slug
            assert all(language in member.languages for member in members), slug
        assert set(profile("ingrid").languages) >= {"nb"}
        assert set(profile("lars").languages) >= {"nb"}
        assert "zh-hans" in profile("wei").languages
        assert profile("ingrid").ui_language == "nb"

    def test_billing_l1_has_a_turkish_speaking_finance_agent(self, loaded):
        emre = profile("emre")
        assert "tr" in emre.languages
        assert list(emre.teams.values_list("slug", flat=True)) == ["billing-l1"]
        assert emre.availability == "online"
        assert {"payments"} <= set(emre.skills)

    def test_every_agent_reports_up_a_chain_that_ends_at_the_support_manager(self, loaded):
        maria = profile("maria")
        assert maria.role == "manager"
        assert maria.reports_to is None
        profiles = AgentProfile.objects.select_related("user", "reports_to")
        assert profiles.count() == len(demo.PEOPLE)
        for agent in profiles.exclude(pk=maria.pk):
            chain = []
            boss = agent.reports_to
            while boss is not None and len(chain) < 10:
                chain.append(boss.username)
                boss = boss.agent_profile.reports_to
            assert chain[-1] == "maria", (agent.user.username, chain)
        assert profile("ingrid").reports_to.username == "sofia"
        assert profile("sofia").role == "supervisor"
        assert profile("emre").reports_to.username == "henrik"
        assert profile("henrik").reports_to.username == "maria"
        admin = profile("admin")
        assert admin.role == "admin"
        assert admin.user.is_superuser

    def test_most_agents_are_online_and_a_few_are_away_or_offline(self, loaded):
        availability = list(AgentProfile.objects.values_list("availability", flat=True))
        assert availability.count("online") > len(availability) / 2
        assert "away" in availability
        assert "offline" in availability

    def test_organisations_carry_tier_country_zone_calendar_and_domains(self, loaded):
        fjord = Organisation.objects.get(name="Fjordkraft Handel AS")
        assert (fjord.tier, fjord.country, fjord.timezone, fjord.calendar) == (
            "vip",
            "NO",
            "Europe/Oslo",
            "oslo",
        )
        assert fjord.domains == ["fjordhandel.no"]
        tiers = {org.country: org.tier for org in Organisation.objects.all()}
        assert tiers["TR"] == "premium"
        assert tiers["CN"] == "premium"
        assert {"NO", "TR", "IT", "PL", "CN"} <= set(tiers)
        assert "standard" in tiers.values()
        kari = Customer.objects.get(name="Kari Nordmann")
        assert kari.email.endswith("@fjordhandel.no")
        assert kari.organisation == fjord
        assert kari.language == "nb"
        assert set(Customer.objects.values_list("language", flat=True)) == LANGUAGES
        for name in ["Ayşe Yılmaz", "Giulia Rossi", "Zofia Wiśniewska", "王芳"]:
            person = Customer.objects.select_related("organisation").get(name=name)
            assert person.organisation is not None
            assert person.email.endswith("@" + person.organisation.domains[0])

    def test_tickets_cover_every_language_status_and_channel(self, loaded):
        assert 35 <= loaded.tickets == Ticket.objects.count() <= 50
        assert set(Ticket.objects.values_list("language", flat=True)) == LANGUAGES
        assert set(Ticket.objects.values_list("status", flat=True)) == STATUSES
        assert set(Ticket.objects.values_list("channel", flat=True)) == CHANNELS
        assert {"billing", "login", "invoices", "technical", "account", "shipping"} <= set(
            Ticket.objects.values_list("category", flat=True)
        )
        assert set(Ticket.objects.values_list("priority", flat=True)) >= {"low", "normal", "high"}
        assert Ticket.objects.filter(reopen_count__gt=0).exists()
        assert Ticket.objects.filter(follow_up_of__isnull=False).exists()
        assert Message.objects.filter(kind="internal").exists()
        assert Message.objects.filter(
            kind="public", author_user__isnull=False, author_customer__isnull=True
        ).exists()

    def test_threads_are_realistic_conversations(self, loaded):
        for ticket in Ticket.objects.all():
            first = ticket.messages.order_by("created_at", "id").first()
            assert first.author_customer == ticket.customer, ticket
        answered = Ticket.objects.filter(first_response_at__isnull=False)
        assert answered.count() > Ticket.objects.count() / 2
        for ticket in Ticket.objects.filter(status__in=["solved", "closed"]):
            assert ticket.solved_at is not None
            assert ticket.assignee is not None
        for ticket in Ticket.objects.filter(status="closed"):
            assert ticket.closed_at is not None

    def test_every_ticket_s_audit_trail_starts_with_created(self, loaded):
        for ticket in Ticket.objects.all():
            kinds = list(ticket.events.order_by("created_at", "id").values_list("kind", flat=True))
            assert kinds[0] == "created", (ticket, kinds)
            assert kinds.count("created") == 1

    def test_the_norwegian_vip_double_charge_is_waiting_unanswered_in_billing(self, loaded):
        ticket = Ticket.objects.select_related("organisation", "team", "customer").get(
            subject__startswith="Dobbel belastning på faktura"
        )
        assert ticket.organisation.tier == "vip"
        assert ticket.customer.name == "Kari Nordmann"
        assert (ticket.language, ticket.category, ticket.channel, ticket.team.slug) == (
            "nb",
            "billing",
            "email",
            "billing-l1",
        )
        assert ticket.status == "new"
        assert ticket.first_response_at is None
        # Routing gave it to a Norwegian-speaking Billing L1 agent, who has not answered.
        assert ticket.assignee.agent_profile.teams.filter(slug="billing-l1").exists()
        assert "nb" in ticket.assignee.agent_profile.languages
        assert list(ticket.messages.values_list("author_user", flat=True)) == [None]

    def test_the_turkish_login_problem_is_really_a_payment_error(self, loaded):
        ticket = Ticket.objects.get(subject="Giriş sorunu")
        assert (ticket.team.slug, ticket.language, ticket.category) == ("support-tr", "tr", "login")
        assert ticket.assignee.username == "ayse"
        assert ticket.organisation.country == "TR"
        customer_text = ticket.messages.filter(author_user__isnull=True).first().body_text
        assert "iki kez çekildi" in customer_text
        assert ticket.messages.filter(kind="internal", body_text__contains="ödeme hatası").exists()

    def test_the_italian_customer_asks_for_a_manager_after_a_resolution(self, loaded):
        ticket = Ticket.objects.get(subject=demo.ITALIAN_MANAGER)
        assert (ticket.language, ticket.team.slug) == ("it", "support-it")
        assert ticket.reopen_count == 1
        assert ticket.status == "open"
        last = ticket.messages.order_by("created_at", "id").last()
        assert last.from_customer
        assert "vorrei parlare con il responsabile" in " ".join(last.body_text.lower().split())
        assert ticket.events.filter(kind="reopened").exists()

    def test_there_is_a_polish_chat_that_the_bot_handed_over(self, loaded):
        ticket = Ticket.objects.get(language="pl", channel="chat")
        assert ticket.team.slug == "support-pl"
        assert ticket.messages.filter(is_automatic=True).exists()
        assert ticket.messages.filter(kind="system").exists()
        assert ticket.messages.filter(body_text__contains="konsultantem").exists()

    def test_the_premium_chinese_customer_wrote_three_times_in_five_days(self, loaded):
        wang = Customer.objects.get(name="王芳")
        assert wang.organisation.tier == "premium"
        contacts = list(Ticket.objects.filter(customer=wang).order_by("created_at"))
        assert len(contacts) == 3
        assert contacts[-1].created_at - contacts[0].created_at <= timedelta(days=5)
        assert contacts[1].follow_up_of == contacts[0]
        latest = contacts[-1]
        assert latest.is_open
        assert latest.priority == "high"
        text = latest.messages.order_by("created_at").first().body_text
        assert "太差" in text
        assert "第三次" in latest.subject + text

    def test_invoices_cannot_be_downloaded_in_several_countries_within_twenty_minutes(self, loaded):
        reports = Ticket.objects.filter(tags__icontains=demo.INCIDENT_TAG).select_related(
            "organisation"
        )
        assert reports.count() >= 5
        assert {ticket.language for ticket in reports} == {"en"}
        assert {ticket.category for ticket in reports} == {"invoices"}
        assert len({ticket.organisation.country for ticket in reports}) >= 4
        times = sorted(ticket.created_at for ticket in reports)
        assert times[-1] - times[0] <= timedelta(minutes=20)

    def test_the_printed_logins_can_sign_in(self, loaded):
        assert len(loaded.logins) >= 10
        kinds = set()
        for username, password, purpose in loaded.logins:
            assert password == demo.DEMO_PASSWORD
            assert purpose
            user = authenticate(username=username, password=password)
            assert user is not None, username
            kinds.add("customer" if hasattr(user, "customer") else user.agent_profile.role)
        assert kinds == {"admin", "manager", "supervisor", "agent", "customer"}
        assert authenticate(username="ingrid", password="wrong password") is None
        for other in loaded.other_agents:
            assert authenticate(username=other, password=demo.DEMO_PASSWORD) is not None

    def test_portal_logins_belong_to_their_customers(self, loaded):
        portal = [username for username, _p, _what in loaded.logins if "@" in username]
        assert len(portal) >= 2
        for email in portal:
            customer = Customer.objects.get(email=email)
            assert customer.user.username == email
            assert not hasattr(customer.user, "agent_profile")

    def test_the_summary_reads_well(self, loaded):
        text = loaded.describe()
        assert demo.DEMO_PASSWORD in text
        for username, _password, _purpose in loaded.logins:
            assert username in text
        assert "#" in text  # the ticket numbers of the stories to try
        assert str(loaded.tickets) in text


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 23, 9, 0, tzinfo=UTC),  # a Monday morning in Europe
        datetime(2026, 11, 22, 16, 5, tzinfo=UTC),  # just after midnight in Shanghai
        datetime(2026, 11, 24, 5, 58, tzinfo=UTC),  # just before midnight in Chicago
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # the night Europe moves to summer time
    ],
)
def test_tickets_have_realistic_ages_and_nothing_happens_in_the_future(now):
    with clock_module.frozen(now):
        demo.load_demo()
    created = sorted(Ticket.objects.values_list("created_at", flat=True))
    assert now - timedelta(days=11) <= created[0] <= now - timedelta(days=7)
    assert now - timedelta(hours=1) <= created[-1] < now
    assert max(Message.objects.values_list("created_at", flat=True)) < now
    assert max(TicketEvent.objects.values_list("created_at", flat=True)) < now
    assert sum(1 for moment in created if moment > now - timedelta(days=1)) >= 10
    # Ticket numbers follow the calendar, and each thread follows its ticket.
    by_number = list(Ticket.objects.order_by("pk").values_list("created_at", flat=True))
    assert by_number == created
    for ticket in Ticket.objects.all():
        assert min(ticket.messages.values_list("created_at", flat=True)) == ticket.created_at
        assert ticket.updated_at >= ticket.created_at


def test_loading_restores_the_clock():
    before = clock_module._clock
    demo.load_demo()
    assert clock_module._clock is before
    assert abs(clock_module.now() - datetime.now(UTC)) < timedelta(minutes=1)


# --- idempotence and reset -----------------------------------------------------------------


def test_loading_twice_creates_nothing_more(loaded):
    first = counts()
    again = demo.load_demo()
    assert again.created is False
    assert counts() == first
    assert again.tickets == loaded.tickets
    assert again.logins == loaded.logins
    assert "already loaded" in again.describe()


def test_reset_deletes_the_demo_and_loads_it_again_leaving_other_data_alone(loaded):
    first = counts()
    other = factories.customer("someone@elsewhere.test", name="Not Demo")
    real_ticket = factories.ticket(other, subject="A real ticket")
    real_ticket_events = real_ticket.events.count()  # created, and routed by the document
    factories.organisation("Real Customer AS")
    factories.agent("real-agent")
    # A notification queued for a demo ticket goes with it.
    vip = Ticket.objects.get(subject=demo.VIP_DOUBLE_CHARGE)
    OutboxMessage.objects.create(
        channel="email",
        dedupe_key="demo-test",
        ticket=vip,
        next_attempt_at=vip.created_at,
        created_at=vip.created_at,
    )
    old_team_ids = set(Team.objects.values_list("pk", flat=True))

    summary = demo.load_demo(reset=True)

    assert summary.created is True
    after = counts()
    assert after == {
        **first,
        "users": first["users"] + 1,
        "agents": first["agents"] + 1,
        "organisations": first["organisations"] + 1,
        "customers": first["customers"] + 1,
        "tickets": first["tickets"] + 1,
        "messages": first["messages"] + 1,
        "events": first["events"] + real_ticket_events,
    }
    assert Ticket.objects.filter(subject="A real ticket").exists()
    assert Organisation.objects.filter(name="Real Customer AS").exists()
    assert (
        not set(Team.objects.filter(slug__in=TEAM_SLUGS).values_list("pk", flat=True))
        & old_team_ids
    )
    assert not OutboxMessage.objects.filter(dedupe_key="demo-test").exists()
    assert Ticket.objects.filter(subject=demo.VIP_DOUBLE_CHARGE).count() == 1


def test_delete_demo_removes_everything_it_made(loaded):
    demo.delete_demo()
    assert counts() == dict.fromkeys(counts(), 0)
    assert demo.is_loaded() is False


def test_an_existing_admin_survives_and_is_not_printed(make):
    make.agent("admin", role="admin")  # e.g. made by `escalade createadmin`
    summary = demo.load_demo()
    assert "admin" not in [username for username, _password, _purpose in summary.logins]
    assert get_user_model().objects.get(username="admin").email == "admin@escalade.test"
    demo.load_demo(reset=True)
    assert get_user_model().objects.filter(username="admin").exists()


def test_a_clashing_username_stops_the_load_with_a_clear_message_and_no_half_demo(make):
    make.agent("ingrid")
    before = counts()
    with pytest.raises(demo.DemoError, match="ingrid"):
        demo.load_demo()
    assert counts() == before


# --- the command ---------------------------------------------------------------------------


def test_the_loaddemo_command_prints_the_summary(capsys):
    assert cli.main(["loaddemo"]) == 0
    out = capsys.readouterr().out
    assert "Sign in with" in out
    assert "escalade-demo" in out
    assert cli.main(["loaddemo"]) == 0
    assert "already loaded" in capsys.readouterr().out
