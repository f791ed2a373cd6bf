"""The demo company: teams, people, customers and a few dozen tickets that tell Escalade's stories.

Nordlys Commerce, a B2B web shop run from Oslo, sells to businesses in Norway, Turkey, Italy,
Poland, China and the English-speaking world. Its support has a front line per language,
billing and technical second lines, an engineering third line, supervisors and a support
manager. The tickets are written in the customers' languages and include the seeds of the
scenarios in SCENARIOS.md (the Norwegian VIP double charge, the Turkish "login problem" that is
a payment error, the Italian customer asking for a manager, the Polish chat, the Chinese
customer's third contact in five days, the invoice-download incident).

Everything is created through the services, with ticket times set in the past through
``core.clock`` so the queues show realistic ages. ``load_demo`` is idempotent; ``reset=True``
deletes the demo data (and only it) and loads it again.
"""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q

import escalade.escalation as escalation_package
from escalade.accounts import services as accounts
from escalade.accounts.models import Customer, Organisation, Team
from escalade.core import clock
from escalade.core.actors import SYSTEM, Actor, actor_for, system
from escalade.core.models import OutboxMessage
from escalade.escalation.document import load_document
from escalade.escalation.models import EscalationRecord
from escalade.escalation.services import apply_document
from escalade.tickets import services as tickets
from escalade.tickets.models import Message, Ticket
from escalade.workspace.default_macros import load_default_macros

COMPANY = "Nordlys Commerce"
STAFF_DOMAIN = "nordlys.example"
DEMO_PASSWORD = "escalade-demo"
MARKER_TEAM = "support-nb"  # the demo is loaded when this team exists

ONLINE, AWAY, OFFLINE = "online", "away", "offline"
WIDTH = 92  # the summary's line width


# --- text ----------------------------------------------------------------------------------

_WIDE = ("W", "F")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in _WIDE else 1 for char in text)


def _text(block: str) -> str:
    """A message body written as a wrapped block in this file, unwrapped as people type it.

    Paragraphs are separated by blank lines. The lines of a paragraph are joined, unless all
    of them are short (a greeting, a signature, an address), which keep their line breaks.
    Chinese lines are joined without a space.
    """
    paragraphs = []
    for paragraph in textwrap.dedent(block).strip().split("\n\n"):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if all(_width(line) < 48 for line in lines[:-1]):
            paragraphs.append("\n".join(lines))
            continue
        joined = lines[0]
        for line in lines[1:]:
            wide = unicodedata.east_asian_width(joined[-1]) in _WIDE or (
                unicodedata.east_asian_width(line[0]) in _WIDE
            )
            joined += ("" if wide else " ") + line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


# --- the organisation chart ----------------------------------------------------------------


@dataclass(frozen=True)
class TeamSeed:
    slug: str
    name: str
    function: str
    tier: int
    timezone: str
    calendar: str
    strategy: str
    manager: str
    email: str = ""


TEAMS = (
    TeamSeed("support-en", "Front line – English", "general", 1, "Europe/London", "",
             "least_loaded", "sofia", f"support@{STAFF_DOMAIN}"),
    TeamSeed("support-nb", "Front line – Norwegian", "general", 1, "Europe/Oslo", "oslo",
             "least_loaded", "sofia", f"kundeservice@{STAFF_DOMAIN}"),
    TeamSeed("support-tr", "Front line – Turkish", "general", 1, "Europe/Istanbul", "istanbul",
             "least_loaded", "sofia", f"destek@{STAFF_DOMAIN}"),
    TeamSeed("support-it", "Front line – Italian", "general", 1, "Europe/Rome", "rome",
             "least_loaded", "sofia", f"assistenza@{STAFF_DOMAIN}"),
    TeamSeed("support-pl", "Front line – Polish", "general", 1, "Europe/Warsaw", "warsaw",
             "least_loaded", "sofia", f"pomoc@{STAFF_DOMAIN}"),
    TeamSeed("support-zh", "Front line – Chinese", "general", 1, "Asia/Shanghai", "shanghai",
             "least_loaded", "sofia", f"kefu@{STAFF_DOMAIN}"),
    TeamSeed("billing-l1", "Billing L1", "billing", 1, "Europe/Oslo", "oslo",
             "skill_match", "henrik", f"billing@{STAFF_DOMAIN}"),
    TeamSeed("billing-l2", "Billing L2", "billing", 2, "Europe/Oslo", "oslo",
             "skill_match", "henrik"),
    TeamSeed("tech-l2", "Technical L2", "technical", 2, "Europe/Oslo", "oslo",
             "round_robin", "tomas"),
    TeamSeed("engineering-l3", "Engineering L3", "engineering", 3, "Europe/Oslo", "oslo",
             "manual", "tomas"),
)  # fmt: skip


@dataclass(frozen=True)
class PersonSeed:
    username: str
    name: str
    role: str
    teams: tuple[str, ...]
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    capacity: int
    availability: str
    reports_to: str | None
    ui_language: str = "en"
    time_zone: str = ""


FRONT_SKILLS = ("account", "login", "shipping")

# Ordered top-down: everyone's manager is created before them.
PEOPLE = (
    PersonSeed("maria", "Maria Lindqvist", "manager", (), ("en", "nb"), (), 5, ONLINE, None),
    PersonSeed("admin", "Alex Admin", "admin", (), ("en",), (), 0, ONLINE, "maria"),
    PersonSeed("sofia", "Sofia Moretti", "supervisor", (), ("en", "it", "nb"), ("escalations",),
               5, ONLINE, "maria"),
    PersonSeed("henrik", "Henrik Aas", "supervisor", (), ("nb", "en"),
               ("payments", "invoices", "refunds"), 5, ONLINE, "maria", "nb"),
    PersonSeed("tomas", "Tomas Berg", "supervisor", (), ("en", "nb", "pl"), ("api", "sso"),
               5, ONLINE, "maria"),
    # Front lines, by language.
    PersonSeed("sam", "Sam Carter", "agent", ("support-en",), ("en",), FRONT_SKILLS,
               20, ONLINE, "sofia"),
    PersonSeed("priya", "Priya Nair", "agent", ("support-en",), ("en",), FRONT_SKILLS,
               20, AWAY, "sofia"),
    PersonSeed("ingrid", "Ingrid Haugen", "agent", ("support-nb",), ("nb", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "nb"),
    PersonSeed("lars", "Lars Bakken", "agent", ("support-nb",), ("nb", "en"), FRONT_SKILLS,
               15, AWAY, "sofia", "nb"),
    PersonSeed("ayse", "Ayşe Demir", "agent", ("support-tr",), ("tr", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "tr"),
    PersonSeed("mehmet", "Mehmet Kaya", "agent", ("support-tr",), ("tr", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "tr"),
    PersonSeed("giulia", "Giulia Conti", "agent", ("support-it",), ("it", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "it"),
    PersonSeed("marco", "Marco Ricci", "agent", ("support-it",), ("it", "en"), FRONT_SKILLS,
               15, OFFLINE, "sofia", "it"),
    PersonSeed("kasia", "Kasia Nowak", "agent", ("support-pl",), ("pl", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "pl"),
    PersonSeed("piotr", "Piotr Kowalski", "agent", ("support-pl",), ("pl", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "pl"),
    PersonSeed("wei", "Wei Chen", "agent", ("support-zh",), ("zh-hans", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "zh-hans", "Asia/Shanghai"),
    PersonSeed("li", "Li Huang", "agent", ("support-zh",), ("zh-hans", "en"), FRONT_SKILLS,
               20, ONLINE, "sofia", "zh-hans", "Asia/Shanghai"),
    # Billing (finance).
    PersonSeed("emre", "Emre Aydın", "agent", ("billing-l1",), ("tr", "en"),
               ("payments", "refunds"), 15, ONLINE, "henrik", "tr"),
    PersonSeed("nora", "Nora Solberg", "agent", ("billing-l1",), ("nb", "en"),
               ("invoices", "payments"), 15, ONLINE, "henrik", "nb"),
    PersonSeed("anna", "Anna Zielińska", "agent", ("billing-l1",), ("pl", "en"),
               ("invoices",), 15, ONLINE, "henrik", "pl"),
    PersonSeed("paolo", "Paolo Greco", "agent", ("billing-l1",), ("it", "en"),
               ("invoices", "refunds"), 15, AWAY, "henrik", "it"),
    PersonSeed("jonas", "Jonas Lie", "agent", ("billing-l2",), ("nb", "en"),
               ("payments", "chargebacks", "invoices"), 10, ONLINE, "henrik", "nb"),
    PersonSeed("valentina", "Valentina Russo", "agent", ("billing-l2",), ("it", "en"),
               ("refunds", "chargebacks"), 10, ONLINE, "henrik", "it"),
    # Technical second line and engineering.
    PersonSeed("oskar", "Oskar Lund", "agent", ("tech-l2",), ("en", "nb"),
               ("api", "integrations", "webhooks"), 10, ONLINE, "tomas", "nb"),
    PersonSeed("zeynep", "Zeynep Arslan", "agent", ("tech-l2",), ("tr", "en"),
               ("sso", "api"), 10, ONLINE, "tomas", "tr"),
    PersonSeed("marta", "Marta Zając", "agent", ("tech-l2",), ("pl", "en"),
               ("api", "integrations"), 10, ONLINE, "tomas", "pl"),
    PersonSeed("chen", "Chen Jie", "agent", ("tech-l2",), ("zh-hans", "en"),
               ("api", "mobile"), 10, OFFLINE, "tomas", "zh-hans"),
    PersonSeed("erik", "Erik Dahl", "agent", ("engineering-l3",), ("en", "nb"),
               ("api", "database", "payments"), 8, ONLINE, "tomas", "nb"),
    PersonSeed("luca", "Luca Bianchi", "agent", ("engineering-l3",), ("it", "en"),
               ("sso", "infrastructure"), 8, AWAY, "tomas", "it"),
)  # fmt: skip

# An existing "admin" (from `escalade createadmin`) is kept as it is; the demo skips its own.
OPTIONAL_USERNAMES = frozenset({"admin"})


@dataclass(frozen=True)
class OrganisationSeed:
    name: str
    tier: str
    country: str
    timezone: str
    calendar: str
    domain: str


ORGANISATIONS = (
    OrganisationSeed("Fjordkraft Handel AS", "vip", "NO", "Europe/Oslo", "oslo", "fjordhandel.no"),
    OrganisationSeed("Bergen Sykkelverksted AS", "standard", "NO", "Europe/Oslo", "oslo",
                     "bergensykkel.no"),
    OrganisationSeed("Anadolu Tekstil A.Ş.", "premium", "TR", "Europe/Istanbul", "istanbul",
                     "anadolutekstil.com.tr"),
    OrganisationSeed("Enoteca Fiorentina S.r.l.", "standard", "IT", "Europe/Rome", "rome",
                     "enotecafiorentina.it"),
    OrganisationSeed("Mazowsze Logistyka Sp. z o.o.", "standard", "PL", "Europe/Warsaw", "warsaw",
                     "mazowsze-logistyka.pl"),
    OrganisationSeed("上海明辉贸易有限公司", "premium", "CN", "Asia/Shanghai", "shanghai",
                     "minghui-trade.cn"),
    OrganisationSeed("Harbour & Finch Ltd", "standard", "GB", "Europe/London", "",
                     "harbourfinch.co.uk"),
    OrganisationSeed("Liffey Print Ltd", "standard", "IE", "Europe/Dublin", "", "liffeyprint.ie"),
    OrganisationSeed("Pinecrest Outdoor Supply Inc.", "standard", "US", "America/Chicago", "",
                     "pinecrest-outdoor.com"),
)  # fmt: skip


@dataclass(frozen=True)
class CustomerSeed:
    name: str
    email: str
    language: str
    phone: str = ""
    social: tuple[tuple[str, str], ...] = ()
    login: bool = False
    org_admin: bool = False


CUSTOMERS = (
    CustomerSeed("Kari Nordmann", "kari.nordmann@fjordhandel.no", "nb", "+47 22 12 34 56",
                 login=True, org_admin=True),
    CustomerSeed("Ole Johansen", "ole.johansen@fjordhandel.no", "nb"),
    CustomerSeed("Silje Berg", "silje.berg@bergensykkel.no", "nb", "+47 55 98 76 54"),
    CustomerSeed("Magnus Eide", "magnus.eide@bergensykkel.no", "en",
                 social=(("twitter", "@bergensykkel"),)),
    CustomerSeed("Ola Hansen", "ola.hansen@example.com", "nb"),
    CustomerSeed("Ayşe Yılmaz", "ayse.yilmaz@anadolutekstil.com.tr", "tr", "+90 224 555 12 34"),
    CustomerSeed("Mustafa Çelik", "mustafa.celik@anadolutekstil.com.tr", "tr",
                 social=(("twitter", "@mcelik_tekstil"),)),
    CustomerSeed("Burak Öztürk", "burak.ozturk@anadolutekstil.com.tr", "tr", "+90 224 555 98 76"),
    CustomerSeed("Giulia Rossi", "giulia.rossi@enotecafiorentina.it", "it", login=True),
    CustomerSeed("Alessandro Ferrari", "alessandro.ferrari@enotecafiorentina.it", "it",
                 "+39 055 123 4567"),
    CustomerSeed("Zofia Wiśniewska", "zofia.wisniewska@mazowsze-logistyka.pl", "pl",
                 "+48 22 555 01 23"),
    CustomerSeed("Tomasz Kamiński", "tomasz.kaminski@mazowsze-logistyka.pl", "pl"),
    CustomerSeed("Agnieszka Wójcik", "agnieszka.wojcik@mazowsze-logistyka.pl", "en"),
    CustomerSeed("王芳", "wang.fang@minghui-trade.cn", "zh-hans", "+86 21 5555 0188",
                 social=(("wechat", "wangfang_minghui"),)),
    CustomerSeed("李强", "li.qiang@minghui-trade.cn", "zh-hans",
                 social=(("wechat", "liqiang_mh"),)),
    CustomerSeed("Emily Clarke", "emily.clarke@harbourfinch.co.uk", "en", login=True),
    CustomerSeed("Siobhán Murphy", "siobhan.murphy@liffeyprint.ie", "en", "+353 1 555 0142"),
    CustomerSeed("Daniel Reyes", "daniel.reyes@pinecrest-outdoor.com", "en",
                 social=(("facebook", "pinecrestoutdoor"),)),
    CustomerSeed("Jordan Lee", "jordan.lee@example.com", "en"),
)  # fmt: skip


# The logins printed for a newcomer, in this order; every other agent signs in the same way.
LOGINS = (
    ("admin", "administrator: teams, agents, settings"),
    ("maria", "support manager, top of the chain of command"),
    ("sofia", "supervisor of the six front lines"),
    ("henrik", "supervisor and manager of Billing L1 and L2"),
    ("sam", "English front-line agent"),
    ("ingrid", "Norwegian front-line agent"),
    ("ayse", "Turkish front-line agent"),
    ("giulia", "Italian front-line agent"),
    ("kasia", "Polish front-line agent"),
    ("wei", "Chinese front-line agent"),
    ("emre", "Billing L1 agent who speaks Turkish"),
    ("zeynep", "Technical L2 agent"),
    ("kari.nordmann@fjordhandel.no", "customer portal: Kari Nordmann, VIP, Norwegian"),
    ("giulia.rossi@enotecafiorentina.it", "customer portal: Giulia Rossi, Italian"),
    ("emily.clarke@harbourfinch.co.uk", "customer portal: Emily Clarke, English"),
)


# --- tickets -------------------------------------------------------------------------------


class Ago(NamedTuple):
    """A moment given in minutes before now (instead of minutes after the ticket was opened)."""

    minutes: float


@dataclass(frozen=True)
class When:
    """When a ticket was opened: minutes ago, or a number of days ago at a local time."""

    minutes_ago: float = 0
    days_ago: int = 0
    local_time: str = ""


def ago(*, days: int = 0, hours: float = 0, minutes: float = 0) -> When:
    return When(minutes_ago=days * 1440 + hours * 60 + minutes)


def on(days_ago: int, local_time: str) -> When:
    """``days_ago`` calendar days before today, at ``local_time`` in the customer's zone."""
    return When(days_ago=days_ago, local_time=local_time)


@dataclass(frozen=True)
class Step:
    kind: str  # take | reply | note | customer | status | bot | system | close
    at: float | Ago  # minutes after the ticket was opened, or Ago(minutes before now)
    who: str = ""
    text: str = ""
    status: str | None = None


def take(at: float | Ago, who: str) -> Step:
    return Step("take", at, who)


def reply(at: float | Ago, who: str, text: str, status: str | None = None) -> Step:
    return Step("reply", at, who, _text(text), status)


def note(at: float | Ago, who: str, text: str) -> Step:
    return Step("note", at, who, _text(text))


def customer(at: float | Ago, text: str) -> Step:
    return Step("customer", at, text=_text(text))


def bot(at: float | Ago, text: str) -> Step:
    return Step("bot", at, text=_text(text))


def system_note(at: float | Ago, text: str) -> Step:
    return Step("system", at, text=_text(text))


def set_status(at: float | Ago, who: str, status: str) -> Step:
    return Step("status", at, who, status=status)


def close(at: float | Ago) -> Step:
    return Step("close", at)


@dataclass(frozen=True)
class TicketSeed:
    key: str
    customer: str  # email
    channel: str
    team: str
    category: str
    subject: str
    body: str
    when: When
    priority: str = "normal"
    tags: tuple[str, ...] = ()
    logged_by: str | None = None  # phone: the agent who took the call
    follow_up_of: str | None = None  # the customer wrote again to this (closed) ticket
    steps: tuple[Step, ...] = field(default_factory=tuple)


def seed(key: str, customer: str, channel: str, team: str, category: str, subject: str,
         body: str, when: When, *steps: Step, **options) -> TicketSeed:  # fmt: skip
    return TicketSeed(key, customer, channel, team, category, subject, _text(body), when,
                      steps=steps, **options)  # fmt: skip


DAY = 24 * 60

KARI = "kari.nordmann@fjordhandel.no"
OLE = "ole.johansen@fjordhandel.no"
SILJE = "silje.berg@bergensykkel.no"
MAGNUS = "magnus.eide@bergensykkel.no"
OLA = "ola.hansen@example.com"
AYSE_Y = "ayse.yilmaz@anadolutekstil.com.tr"
MUSTAFA = "mustafa.celik@anadolutekstil.com.tr"
BURAK = "burak.ozturk@anadolutekstil.com.tr"
GIULIA_R = "giulia.rossi@enotecafiorentina.it"
ALESSANDRO = "alessandro.ferrari@enotecafiorentina.it"
ZOFIA = "zofia.wisniewska@mazowsze-logistyka.pl"
TOMASZ = "tomasz.kaminski@mazowsze-logistyka.pl"
AGNIESZKA = "agnieszka.wojcik@mazowsze-logistyka.pl"
WANG_FANG = "wang.fang@minghui-trade.cn"
LI_QIANG = "li.qiang@minghui-trade.cn"
EMILY = "emily.clarke@harbourfinch.co.uk"
SIOBHAN = "siobhan.murphy@liffeyprint.ie"
DANIEL = "daniel.reyes@pinecrest-outdoor.com"
JORDAN = "jordan.lee@example.com"

# Subjects the summary points at (and the tests look for).
VIP_DOUBLE_CHARGE = "Dobbel belastning på faktura 104532"
TURKISH_LOGIN = "Giriş sorunu"
ITALIAN_MANAGER = "Rimborso per merce arrivata danneggiata"
CHINESE_THIRD = "第三次了！订单又同步失败"
INCIDENT_TAG = "invoice-download"

NORWEGIAN = (
    # Scenario 1: a VIP in Oslo emails about a double charge; nobody has answered yet.
    seed("nb-double-charge", KARI, "email", "billing-l1", "billing", VIP_DOUBLE_CHARGE, """
        Hei,

        Vi har blitt belastet to ganger for faktura 104532 (kr 18 450,00). Begge trekkene
        står på kontoutskriften vår med samme dato. Kan dere tilbakeføre det ene beløpet så
        raskt som mulig? Vi holder på med månedsavslutningen, så det haster.

        Med vennlig hilsen
        Kari Nordmann
        Økonomiavdelingen, Fjordkraft Handel AS
        """, ago(minutes=45), priority="high", tags=("double-charge",)),
    seed("nb-address", OLE, "portal", "support-nb", "account", "Endre fakturaadresse", """
        Hei! Vi har flyttet hovedkontoret og trenger ny fakturaadresse fra neste måned:
        Strandkaien 14, 5013 Bergen. Kan dere oppdatere dette på kontoen vår?

        Mvh
        Ole Johansen
        Fjordkraft Handel AS
        """, on(8, "09:40"),
        take(25, "ingrid"),
        reply(32, "ingrid", """
            Hei Ole!

            Takk for beskjed. Fakturaadressen er nå endret til Strandkaien 14, 5013 Bergen,
            og gjelder fra neste faktura. Si gjerne ifra om noe annet skal oppdateres.

            Hilsen Ingrid
            Kundeservice, Nordlys Commerce
            """, status="solved"),
        close(4 * DAY)),
    seed("nb-lost-parcel", SILJE, "phone", "support-nb", "shipping",
         "Pakke registrert som levert, men ikke mottatt", """
        Silje ringte: ordre 77812 (to kasser med sykkeldeler) står som levert i sporingen,
        men verkstedet har ikke mottatt noe, og det lå ingen hentelapp i postkassen. Hun
        trenger delene før helgen.
        """, on(3, "13:10"),
        reply(20, "lars", """
            Hei Silje,

            takk for samtalen i stad. Jeg har sendt en etterlysning til Bring. Kan du bekrefte
            at leveringsadressen er Nygårdsgaten 21, 5015 Bergen, og høre med naboene om noen
            har tatt imot pakken? Vi får svar fra Bring innen to virkedager.

            Hilsen Lars
            """, status="pending"),
        logged_by="lars"),
    seed("nb-login", OLA, "email", "support-nb", "login",
         "Får ikke logget inn etter passordbytte", """
        Hei.

        Jeg byttet passord i går kveld, og nå får jeg bare «Ugyldig brukernavn eller passord»
        når jeg prøver å logge inn. Jeg har prøvd å tilbakestille to ganger, men e-posten med
        lenken kommer ikke. Hva gjør jeg?

        Ola
        """, on(2, "08:15"),
        take(40, "ingrid"),
        reply(48, "ingrid", """
            Hei Ola!

            Kontoen din ble låst etter for mange innloggingsforsøk. Jeg har låst den opp og
            sendt deg en ny lenke for å tilbakestille passordet. Sjekk søppelpostmappen hvis den
            ikke dukker opp. Gi beskjed om det fortsatt ikke fungerer!

            Hilsen Ingrid
            """, status="solved"),
        customer(26 * 60, """
            Hei igjen. Det fungerte i går, men i dag får jeg den samme feilmeldingen igjen. Er
            kontoen låst på nytt?
            """),
        note(26 * 60 + 20, "ingrid", """
            Kontoen låses igjen etter fem forsøk med gammelt passord. Mistenker en app på
            mobilen som fortsatt bruker det gamle.
            """),
        reply(26 * 60 + 25, "ingrid", """
            Hei Ola,

            kontoen ble låst på nytt fordi noe prøver å logge inn med det gamle passordet –
            ofte appen på mobilen eller et nettbrett. Kan du logge ut av appen og logge inn der
            med det nye passordet? Jeg har låst opp kontoen igjen.

            Hilsen Ingrid
            """, status="pending")),
    seed("nb-credit-note", KARI, "portal", "billing-l1", "invoices",
         "Kreditnota for returnerte varer mangler", """
        Hei,

        vi returnerte 12 lamper (ordre 75530) for tre uker siden, og dere har bekreftet at
        returen er mottatt. Vi har fortsatt ikke fått kreditnota. Kan dere sende den?

        Hilsen Kari
        """, on(6, "10:05"),
        take(60, "nora"),
        reply(75, "nora", """
            Hei Kari!

            Returen er registrert, men kreditnotaen må godkjennes av regnskapsavdelingen vår
            fordi beløpet er over 10 000 kr. Jeg har bedt om godkjenning og setter saken på vent
            til jeg hører fra dem.

            Hilsen Nora
            Fakturaavdelingen
            """),
        set_status(76, "nora", "on_hold"),
        note(78, "nora", "Sendt til regnskap for godkjenning (over beløpsgrensen).")),
    seed("nb-webhook", OLE, "email", "tech-l2", "technical",
         "Webhook for ordrestatus sendes ikke lenger", """
        Hei,

        siden i går har vi ikke mottatt webhook-kall når ordrestatus endres. Endepunktet vårt
        svarer 200 og er ikke endret. Kan dere se på det?

        Ole
        """, on(5, "14:20"),
        take(30, "oskar"),
        note(35, "oskar", """
            Webhooken ble slått av automatisk etter 50 feilede leveranser (tidsavbrudd hos
            kunden i helgen). Slår den på igjen.
            """),
        reply(45, "oskar", """
            Hei Ole,

            webhooken ble slått av automatisk etter en rekke tidsavbrudd mot endepunktet deres.
            Jeg har slått den på igjen, og hendelsene som ventet sendes nå. Gi beskjed hvis
            dere ikke ser dem i løpet av en time.

            Hilsen Oskar
            Teknisk support
            """, status="pending"),
        customer(120, "Nå kommer de inn igjen. Takk!"),
        set_status(130, "oskar", "solved")),
    seed("nb-delivery-address", SILJE, "chat", "support-nb", "shipping",
         "Endre leveringsadresse på ordre 76120", """
        Hei! Kan jeg endre leveringsadressen på ordre 76120? Den skal til verkstedet i
        Nygårdsgaten 21, ikke til lageret.
        """, on(9, "11:30"),
        take(1, "ingrid"),
        reply(2, "ingrid", """
            Hei Silje! Ordren er ikke sendt ennå, så det går fint. Jeg har endret adressen til
            Nygårdsgaten 21, 5015 Bergen.
            """),
        customer(3, "Supert, tusen takk!"),
        set_status(4, "ingrid", "solved"),
        close(3 * DAY)),
)  # fmt: skip

TURKISH = (
    # Scenario 2: a "login problem" that is really a payment error.
    seed("tr-login", AYSE_Y, "email", "support-tr", "login", TURKISH_LOGIN, """
        Merhaba,

        Sabahtan beri hesabıma giriş yapamıyorum. Şifremi doğru girmeme rağmen «Hesabınız
        askıya alındı» uyarısı çıkıyor. Dün akşam aylık aboneliğimizin ödemesini yaptım;
        kartımdan para iki kez çekildi ama sistem ödemeyi görmüyor galiba. Siparişlerimizi
        giremiyoruz, acil yardımcı olabilir misiniz?

        Saygılarımla,
        Ayşe Yılmaz
        Anadolu Tekstil
        """, ago(hours=2),
        take(12, "ayse"),
        note(20, "ayse", """
            Şifreyle ilgili değil: abonelik ödemesi karttan iki kez çekilmiş ama sistemde ödeme
            başarısız görünüyor, hesap bu yüzden askıya alınmış. Bu bir ödeme hatası, finansa
            aktarılmalı.
            """),
        reply(24, "ayse", """
            Merhaba Ayşe Hanım,

            Hesabınızı inceledim. Sorun şifrenizde değil: aboneliğinizin ödemesi kartınızdan
            iki kez çekilmiş görünüyor, ancak sistem ödemeyi onaylamadığı için hesabınızı
            askıya almış. Konuyu hemen ilgili ekiple birlikte çözüyoruz; kısa süre içinde size
            bilgi vereceğim.

            Saygılarımla,
            Ayşe Demir
            """),
        priority="high"),
    seed("tr-tracking", MUSTAFA, "social", "support-tr", "shipping",
         "Kargo takip numarası bulunamıyor", """
        Merhaba, 3 gündür siparişim (no. 81907) aynı yerde görünüyor ve takip numarası kargo
        firmasının sitesinde bulunamıyor. Yardımcı olabilir misiniz?
        """, on(2, "15:45"),
        take(15, "mehmet"),
        reply(20, "mehmet", """
            Merhaba Mustafa Bey, kargo firmasıyla görüştük: gönderiniz aktarma merkezinde
            bekliyormuş, takip numarası da sisteme geç girilmiş. Yarın dağıtıma çıkması
            bekleniyor. Yeni takip bağlantısını özel mesajla gönderdik. Teslim aldığınızda bize
            haber verir misiniz?
            """, status="pending")),
    seed("tr-address", AYSE_Y, "email", "support-tr", "account", "Fatura adresi değişikliği", """
        Merhaba,

        Firmamızın adresi değişti. Yeni adresimiz: Organize Sanayi Bölgesi, 4. Cadde No: 12,
        Nilüfer/Bursa. Bundan sonraki faturaların bu adrese düzenlenmesini rica ederim.

        İyi çalışmalar,
        Ayşe Yılmaz
        """, on(10, "10:00"),
        take(90, "mehmet"),
        reply(95, "mehmet", """
            Merhaba Ayşe Hanım,

            Fatura adresiniz güncellendi; bir sonraki faturanız yeni adrese düzenlenecek.

            İyi çalışmalar dileriz,
            Mehmet Kaya
            """, status="solved"),
        close(3 * DAY)),
    seed("tr-refund", MUSTAFA, "email", "billing-l1", "billing", "İade talebi – sipariş 80412", """
        Merhaba,

        80412 numaralı siparişi kargoya verilmeden iptal ettik ama 12.400 TL tutarındaki
        ödeme hâlâ iade edilmedi. İadenin ne zaman yapılacağını öğrenebilir miyim?

        Teşekkürler,
        Mustafa Çelik
        """, on(1, "11:20"),
        take(50, "emre"),
        reply(60, "emre", """
            Merhaba Mustafa Bey,

            İade talebiniz onaylandı ve bugün bankanıza iletildi. Tutarın hesabınıza geçmesi
            bankanıza bağlı olarak 3–5 iş günü sürebilir.

            Saygılarımla,
            Emre Aydın – Finans
            """)),
    seed("tr-password-reset", BURAK, "email", "support-tr", "login",
         "Şifre sıfırlama e-postası gelmiyor", """
        Merhaba, şifremi unuttum ve sıfırlama bağlantısı istedim ama e-posta hiç gelmedi.
        Spam klasörünü de kontrol ettim. Yardımcı olur musunuz?

        Burak
        """, ago(minutes=25)),
    seed("tr-cancel", BURAK, "phone", "support-tr", "account", "Sipariş iptali – 81544", """
        Burak Bey aradı: 81544 numaralı siparişin iptalini istiyor, yanlış renk seçilmiş.
        Sipariş henüz depodan çıkmamış.
        """, on(6, "15:00"),
        reply(6, "ayse", """
            Merhaba Burak Bey,

            Görüşmemizde konuştuğumuz gibi 81544 numaralı siparişiniz iptal edildi. Ödemeniz
            3 iş günü içinde kartınıza iade edilecek.

            İyi günler dileriz,
            Ayşe Demir
            """, status="solved"),
        close(2 * DAY),
        logged_by="ayse"),
)  # fmt: skip

ITALIAN = (
    # Scenario 3: unhappy with the resolution, the customer asks for a manager.
    seed("it-manager", GIULIA_R, "portal", "support-it", "shipping", ITALIAN_MANAGER, """
        Buongiorno,

        ieri abbiamo ricevuto l'ordine n. 58231, ma due dei sei colli erano danneggiati e 14
        calici sono arrivati rotti. Posso inviarvi le foto, se servono. Vi chiediamo il
        rimborso dei pezzi rotti oppure la sostituzione.

        Cordiali saluti,
        Giulia Rossi
        Enoteca Fiorentina
        """, on(2, "09:30"),
        take(45, "marco"),
        reply(60, "marco", """
            Gentile signora Rossi,

            ci scusiamo per l'inconveniente. Come soluzione le proponiamo un buono sconto del
            20% sul prossimo ordine, che trova già attivo nel suo account. Consideriamo la
            richiesta risolta; se ha bisogno d'altro può rispondere a questo messaggio.

            Cordiali saluti,
            Marco Ricci
            """, status="solved"),
        customer(Ago(70), """
            Un buono sconto non risolve niente. Abbiamo pagato 14 calici che sono arrivati
            rotti e vogliamo il rimborso o la sostituzione, non uno sconto su un ordine futuro.
            Sono molto delusa da come è stata gestita la cosa: vorrei parlare con il
            responsabile.

            Giulia Rossi
            """)),
    seed("it-login", ALESSANDRO, "email", "support-it", "login",
         "Impossibile accedere all'area clienti", """
        Salve,

        da stamattina non riesco ad accedere all'area clienti: dopo aver inserito le
        credenziali la pagina si ricarica e torno alla schermata di login. Ho provato con
        Chrome e con Edge. Potete verificare?

        Grazie,
        Alessandro Ferrari
        """, on(1, "10:10"),
        take(20, "giulia"),
        reply(30, "giulia", """
            Buongiorno Alessandro,

            può provare a cancellare i cookie del browser per il nostro sito e ad accedere di
            nuovo? Se il problema persiste, ci mandi per favore uno screenshot della pagina che
            vede subito dopo il login.

            Grazie,
            Giulia Conti
            """, status="pending")),
    seed("it-vat", ALESSANDRO, "email", "billing-l1", "invoices",
         "Fattura con partita IVA errata", """
        Buongiorno,

        nella fattura n. 2291 la partita IVA riportata non è la nostra (quella corretta è
        IT04821360487). Potete emettere una nota di credito e una nuova fattura corretta?

        Grazie,
        Alessandro Ferrari – Enoteca Fiorentina
        """, on(7, "16:00"),
        take(70, "paolo"),
        reply(85, "paolo", """
            Gentile Alessandro,

            abbiamo emesso la nota di credito n. NC-118 e la nuova fattura n. 2317 con la
            partita IVA corretta. Le trova entrambe nell'area clienti, alla voce Fatture.

            Cordiali saluti,
            Paolo Greco – Amministrazione
            """, status="solved"),
        close(3 * DAY)),
    seed("it-delivery", ALESSANDRO, "phone", "support-it", "shipping",
         "Modifica indirizzo di consegna – ordine 58502", """
        Il cliente ha chiamato: vuole che l'ordine n. 58502 venga consegnato al nuovo magazzino
        in Via Pisana 120, Firenze, invece che in negozio. L'ordine è già stato affidato al
        corriere.
        """, on(3, "11:00"),
        note(10, "giulia", """
            Chiesto al corriere (BRT) di modificare l'indirizzo, pratica 55-90311. Attendo
            conferma.
            """),
        reply(12, "giulia", """
            Gentile Alessandro,

            come concordato al telefono, abbiamo chiesto al corriere di consegnare l'ordine
            n. 58502 in Via Pisana 120. Le daremo conferma appena il corriere ci risponde.

            Cordiali saluti,
            Giulia Conti
            """),
        set_status(13, "giulia", "on_hold"),
        logged_by="giulia"),
)  # fmt: skip

POLISH = (
    # Scenario 4's setting: a Polish chat that the bot could not solve.
    seed("pl-chat", ZOFIA, "chat", "support-pl", "shipping",
         "Nie mogę pobrać etykiety przewozowej", """
        Dzień dobry, nie mogę pobrać etykiety przewozowej do zamówienia 61877. Po kliknięciu
        „Pobierz etykietę” nic się nie dzieje.
        """, ago(hours=5),
        bot(0.2, """
            Może pomogą te artykuły: „Jak wydrukować etykietę przewozową” oraz „Co zrobić, gdy
            dokument się nie pobiera”.
            """),
        customer(2, "Żaden z tych artykułów nie pomógł. Chcę rozmawiać z konsultantem."),
        system_note(2.2, "The bot handed the chat over to a human agent (bot_handoff)."),
        take(3, "kasia"),
        reply(4, "kasia", """
            Dzień dobry, tu Kasia z działu obsługi klienta. Sprawdziłam zamówienie 61877 –
            etykieta się nie wygenerowała, bo w adresie odbiorcy brakowało kodu pocztowego.
            Uzupełniłam go na podstawie zamówienia. Czy może Pani spróbować pobrać etykietę
            jeszcze raz?
            """),
        customer(6, "Teraz działa, dziękuję bardzo!"),
        set_status(7, "kasia", "solved")),
    seed("pl-correction", TOMASZ, "email", "billing-l1", "invoices",
         "Błąd przy wystawianiu faktury korygującej", """
        Dzień dobry,

        przy próbie wystawienia faktury korygującej do faktury FV/2291/PL system wyświetla
        komunikat „Nie można utworzyć dokumentu”. Potrzebujemy korekty do końca miesiąca.

        Pozdrawiam,
        Tomasz Kamiński
        """, on(1, "09:05"),
        take(35, "anna"),
        note(40, "anna", """
            Korekta jest blokowana, bo faktura pierwotna jest zaksięgowana w zamkniętym
            okresie. Trzeba ręcznie otworzyć okres – pytam Henrika.
            """),
        reply(50, "anna", """
            Dzień dobry Panie Tomaszu,

            dziękuję za zgłoszenie. Faktura, do której chce Pan wystawić korektę, należy do
            zamkniętego okresu rozliczeniowego, dlatego system blokuje dokument. Przygotujemy
            korektę ręcznie – odezwę się najpóźniej jutro.

            Pozdrawiam,
            Anna Zielińska
            """)),
    seed("pl-company-name", ZOFIA, "portal", "support-pl", "account",
         "Zmiana danych firmy w koncie", """
        Dzień dobry,

        zmieniła się nazwa naszej firmy na Mazowsze Logistyka Sp. z o.o. (wcześniej Mazowsze
        Trans). Proszę o aktualizację danych w koncie i na fakturach. NIP bez zmian.

        Z poważaniem,
        Zofia Wiśniewska
        """, on(9, "13:15"),
        take(55, "piotr"),
        reply(60, "piotr", """
            Dzień dobry Pani Zofio,

            dane firmy zostały zaktualizowane. Nowa nazwa pojawi się na wszystkich kolejnych
            fakturach.

            Pozdrawiam,
            Piotr Kowalski
            """, status="solved"),
        close(3 * DAY)),
    seed("pl-api-401", TOMASZ, "api", "tech-l2", "technical",
         "Integracja API zwraca błąd 401", """
        Od dzisiejszego ranka wszystkie wywołania API z naszego systemu WMS kończą się błędem
        401 Unauthorized. Klucz API nie był zmieniany. Prosimy o pilną weryfikację – magazyn
        nie widzi nowych zamówień.
        """, on(2, "10:40"),
        take(20, "marta"),
        note(25, "marta", """
            Klucz klienta został unieważniony przy planowej rotacji kluczy (błąd w skrypcie
            rotacji, może dotyczyć też innych klientów). Zgłoszone do engineering.
            """),
        reply(35, "marta", """
            Dzień dobry,

            potwierdzamy problem: Państwa klucz API został omyłkowo unieważniony podczas
            planowej rotacji kluczy. Wygenerowaliśmy klucz tymczasowy – znajdą go Państwo w
            panelu, w zakładce Integracje. Poprawka po naszej stronie jest w przygotowaniu; dam
            znać, gdy zostanie wdrożona.

            Pozdrawiam,
            Marta Zając
            """),
        set_status(36, "marta", "on_hold"),
        priority="high"),
    seed("pl-delivery-date", ZOFIA, "phone", "support-pl", "shipping",
         "Termin dostawy zamówienia 61502", """
        Klientka zadzwoniła z pytaniem, kiedy dotrze zamówienie 61502 (dwie palety regałów).
        Zamówienie wysłano wczoraj.
        """, on(4, "14:30"),
        reply(5, "piotr", """
            Dzień dobry Pani Zofio,

            zgodnie z naszą rozmową: zamówienie 61502 zostało wysłane wczoraj, a przewoźnik
            planuje dostawę jutro między 8:00 a 14:00. Numer przesyłki: 6677 0123 4589.

            Pozdrawiam,
            Piotr Kowalski
            """, status="solved"),
        logged_by="piotr"),
)  # fmt: skip

CHINESE = (
    # Scenario 5: a premium customer, three contacts in five days about the same problem.
    seed("zh-sync-1", WANG_FANG, "email", "support-zh", "technical", "订单无法同步到ERP系统", """
        您好，

        从昨天下午开始，我们店铺的订单无法同步到ERP系统，接口一直返回超时错误。今天已经有
        两百多个订单积压，仓库没法发货。请尽快帮忙处理，谢谢！

        王芳
        上海明辉贸易有限公司
        """, on(4, "10:30"),
        take(15, "wei"),
        reply(40, "wei", """
            王女士您好，

            感谢您的反馈。我们已经确认是同步接口的一个临时故障，技术同事已经修复。积压的订单
            会在一小时内自动重新同步，请您稍后查看。如有问题请随时联系我们。

            陈伟
            """, status="pending"),
        customer(150, "好的，订单已经同步过来了，谢谢。"),
        set_status(155, "wei", "solved"),
        close(DAY)),
    seed("zh-sync-2", WANG_FANG, "email", "support-zh", "technical", "订单无法同步到ERP系统", """
        你好，订单同步的问题又出现了！今天上午开始又报超时错误，已经有八十多个订单没有同步。
        上次说已经修复了，为什么又出问题？请尽快处理。

        王芳
        """, on(2, "09:50"),
        take(20, "li"),
        reply(35, "li", """
            王女士您好，

            非常抱歉再次给您带来不便。我们已经重启了同步服务，积压的订单正在重新同步，预计半
            小时内完成。技术团队正在排查根本原因，有进展会第一时间通知您。

            黄丽
            """, status="solved"),
        priority="high", follow_up_of="zh-sync-1"),
    seed("zh-sync-3", WANG_FANG, "email", "support-zh", "technical", CHINESE_THIRD, """
        这已经是五天内第三次出现同样的问题了，订单又无法同步，仓库今天又没法发货。你们的服务
        太差了！每次都说修好了，结果过两天又出问题。

        请给我一个明确的解决方案和时间表，否则我们只能考虑更换服务商。

        王芳
        上海明辉贸易有限公司
        """, ago(minutes=40),
        take(8, "wei"),
        note(12, "wei", "同一客户五天内第三次反馈同一个问题，情绪很差，建议尽快升级到二线。"),
        priority="high", tags=("order-sync",)),
    seed("zh-sub-account", LI_QIANG, "chat", "support-zh", "account", "如何添加子账号？", """
        你好，请问怎么给仓库同事添加子账号？我们希望他们只能看到订单，不能看到财务信息。
        """, on(6, "14:00"),
        take(1, "li"),
        reply(3, "li", """
            您好！您可以在「设置 → 用户管理」里点击「添加用户」，角色选择「仓库」。这个角色只
            能查看和处理订单，看不到发票和付款信息。需要的话我可以发一份图文说明给您。
            """),
        customer(5, "明白了，已经加好了，谢谢！"),
        set_status(6, "li", "solved")),
    seed("zh-invoice-title", LI_QIANG, "social", "support-zh", "invoices", "发票抬头需要修改", """
        你好，上个月的发票抬头写错了，应该是“上海明辉贸易有限公司”，不是“明辉贸易”。麻烦重新
        开一张，谢谢。
        """, on(1, "15:30"),
        take(25, "wei"),
        reply(30, "wei", """
            李先生您好，可以为您重新开具发票。请您提供一下公司的统一社会信用代码，我们核对后会
            在两个工作日内把新发票发到您的邮箱。
            """, status="pending")),
    seed("zh-api-docs", LI_QIANG, "portal", "support-zh", "technical",
         "API接口文档在哪里下载？", """
        请问API接口文档在哪里可以下载？我们的开发人员想把订单数据接入我们自己的系统。
        """, ago(hours=3), priority="low"),
)  # fmt: skip

ENGLISH = (
    # Scenario 6's seed: invoices cannot be downloaded, reported from five countries.
    seed("en-incident-ie", SIOBHAN, "email", "support-en", "invoices",
         "Invoice PDF download not working", """
        Hello,

        None of our invoices will download from the billing page – the button spins for a
        while and then we get an error. Tried Chrome and Firefox, same thing. Is there a
        problem on your side?

        Kind regards,
        Siobhán Murphy
        Liffey Print
        """, ago(minutes=96), tags=(INCIDENT_TAG,)),
    seed("en-incident-gb", EMILY, "portal", "support-en", "invoices", "Can't download invoices", """
        Hi,

        Every time I click "Download PDF" on an invoice I get an error page ("Something went
        wrong – error 502"). I need last month's invoices for our accountant today. Could you
        have a look?

        Thanks,
        Emily Clarke
        Harbour & Finch
        """, ago(minutes=92),
        take(Ago(70), "sam"),
        note(Ago(66), "sam", """
            Third report in a quarter of an hour of invoice PDFs failing with a 502. Looks like
            an outage rather than one account – flagging it to tech.
            """),
        reply(Ago(60), "sam", """
            Hi Emily,

            Thanks for letting us know, and sorry for the trouble. We're seeing the same error
            for other customers and our technical team is looking into it now. I'll update you
            here as soon as invoice downloads work again.

            Best regards,
            Sam
            """),
        tags=(INCIDENT_TAG,)),
    seed("en-incident-us", DANIEL, "api", "support-en", "invoices",
         "GET /api/v1/invoices/{id}/pdf returns 502", """
        Our nightly job that pulls invoice PDFs through your API started failing about an hour
        ago: every request to GET /api/v1/invoices/{id}/pdf returns HTTP 502 Bad Gateway.
        Nothing has changed on our side. Example request IDs: 7f3c9a12, 7f3c9b40.

        Daniel Reyes, Pinecrest Outdoor Supply
        """, ago(minutes=88), priority="high", tags=(INCIDENT_TAG,)),
    seed("en-incident-no", MAGNUS, "social", "support-en", "invoices",
         "Twitter: invoices won't download", """
        @nordlys_help invoices won't download, I get an error every time I try. Month-end is
        tomorrow 😩
        """, ago(minutes=83), tags=(INCIDENT_TAG,)),
    seed("en-incident-pl", AGNIESZKA, "chat", "support-en", "invoices",
         "Invoice download error", """
        Hi, is invoice download broken? I get an error whenever I try to download an invoice
        PDF. We need them for our month-end closing.
        """, ago(minutes=78), tags=(INCIDENT_TAG,)),
    seed("en-vat", EMILY, "email", "billing-l1", "billing", "Question about VAT on invoices", """
        Hello,

        Since we're in the UK, should your invoices to us still include Norwegian VAT? Our
        accountant flagged the last two.

        Thanks,
        Emily
        """, on(8, "14:10"),
        take(40, "nora"),
        reply(55, "nora", """
            Hi Emily,

            Good question. As a UK business you are invoiced without Norwegian VAT under the
            reverse-charge rules; the two invoices you mention were issued before your VAT
            number was registered with us. I've reissued them without VAT – you'll find the
            corrected copies under Billing → Invoices.

            Best regards,
            Nora
            """, status="solved"),
        close(4 * DAY)),
    seed("en-sso", DANIEL, "email", "tech-l2", "technical", "SSO login fails with SAML error", """
        Hi,

        Since we rotated our Okta signing certificate this morning, none of our staff can
        sign in with SSO – they get "SAML response signature invalid". Password login still
        works for admins. Can you help us update the certificate on your side?

        Daniel
        """, on(1, "08:30"),
        take(30, "zeynep"),
        note(40, "zeynep", """
            Reproduced. Our SAML config still pins the old certificate, and the new one comes
            with an intermediate chain we don't accept. Asked engineering (Erik) whether we can
            allow the chain.
            """),
        reply(50, "zeynep", """
            Hi Daniel,

            Thanks for the details. We've reproduced the issue: your new certificate is signed
            with a chain our SSO service doesn't accept yet, and our engineers are working on
            it. In the meantime, could you send us the new certificate's metadata XML so we can
            pin it manually?

            Regards,
            Zeynep Arslan
            Technical Support
            """),
        priority="high"),
    seed("en-billing-contact", SIOBHAN, "phone", "support-en", "account",
         "Change of billing contact", """
        Siobhán called: from next month their billing contact changes from Declan Byrne to
        her, and invoices should go to accounts@liffeyprint.ie.
        """, on(4, "11:00"),
        reply(5, "sam", """
            Hi Siobhán,

            As agreed on the phone, invoices now go to accounts@liffeyprint.ie with you as the
            billing contact.

            Best,
            Sam
            """, status="solved"),
        logged_by="sam"),
    seed("en-damaged", DANIEL, "social", "support-en", "shipping",
         "Facebook: pallet arrived damaged", """
        Our pallet of camping stoves arrived with the shrink wrap torn and two boxes crushed.
        Photos in the DMs. What's the next step?
        """, on(3, "16:20"),
        take(30, "priya"),
        reply(40, "priya", """
            Hi Daniel, sorry to see that! Please keep the damaged boxes and the packaging for
            now – we've opened a claim with the carrier, and replacements for the two crushed
            boxes are on their way. Could you confirm the delivery address for them here?
            """, status="pending")),
    seed("en-export", EMILY, "portal", "support-en", "account", "Export order history to CSV", """
        Is there a way to export our full order history to a spreadsheet?

        Emily
        """, on(5, "12:00"),
        take(20, "sam"),
        reply(25, "sam", """
            Hi Emily,

            Yes: go to Orders, choose the date range and click Export → CSV. The file includes
            order numbers, dates, totals and invoice numbers.

            Best,
            Sam
            """, status="solved"),
        priority="low"),
    seed("en-refund", MAGNUS, "email", "billing-l1", "billing",
         "Refund for returned order 74410 not received", """
        Hi,

        We returned order 74410 three weeks ago and got a confirmation that the refund of
        NOK 6,250 was approved, but nothing has arrived in our account. Can you check?

        Magnus Eide
        Bergen Sykkelverksted
        """, on(4, "09:15"),
        take(20, "nora"),
        reply(30, "nora", """
            Hi Magnus,

            The refund was approved, but the payment came back from your bank because the
            account number has changed. Could you give us the new account number by phone? For
            security we don't take account changes by email.

            Best regards,
            Nora
            """, status="pending"),
        customer(DAY + 60, "I called you earlier today and gave the new account number."),
        note(DAY + 70, "nora", """
            Account number verified by phone. Refund sent again; waiting for the bank's
            confirmation.
            """),
        set_status(DAY + 72, "nora", "on_hold"),
        priority="high"),
    seed("en-password", JORDAN, "email", "support-en", "login", "Can't reset my password", """
        Hi, I asked for a password reset link three times but nothing arrives. My username is
        jordanlee. Can you help?

        Jordan
        """, ago(hours=6), priority="low"),
)  # fmt: skip

TICKETS = NORWEGIAN + TURKISH + ITALIAN + POLISH + CHINESE + ENGLISH

# Who writes a ticket into Escalade for each channel (the audit trail shows it).
CHANNEL_ACTORS = {
    "email": system("mail"),
    "chat": system("chat"),
    "social": system("social"),
    "portal": system("portal"),
    "api": system("api"),
    "phone": system("phone"),
}
ROUTING = system("routing")
AUTO_CLOSE = system("auto-close")
CHAT_BOT = system("chat-bot")


# --- the summary ---------------------------------------------------------------------------


@dataclass
class DemoSummary:
    created: bool  # False if the demo was already loaded
    logins: list[tuple[str, str, str]]  # (username, password, what the login is for)
    tickets: int
    counts: dict[str, int] = field(default_factory=dict)
    other_agents: list[str] = field(default_factory=list)
    highlights: list[tuple[str, str]] = field(default_factory=list)  # (ticket numbers, story)

    def describe(self) -> str:
        counts = self.counts
        if self.created:
            intro = (
                f"The demo company {COMPANY} is loaded: {counts.get('teams', 0)} teams, "
                f"{counts.get('agents', 0)} agents, {counts.get('organisations', 0)} customer "
                f"organisations, {counts.get('customers', 0)} customers and {self.tickets} "
                "tickets in English, Norwegian, Turkish, Italian, Polish and Chinese."
            )
        else:
            intro = (
                f"The demo company {COMPANY} is already loaded ({self.tickets} tickets); "
                "nothing was added. Run `escalade loaddemo --reset` to load it afresh."
            )
        lines = [*textwrap.wrap(intro, width=WIDTH), "", "Sign in with:", ""]
        rows = [("username", "password", "for"), *self.logins]
        width_user = max(len(row[0]) for row in rows)
        width_password = max(len(row[1]) for row in rows)
        for username, password, purpose in rows:
            lines.append(f"  {username:<{width_user}}  {password:<{width_password}}  {purpose}")
        if self.other_agents:
            others = ", ".join(self.other_agents)
            text = f"Every other demo agent signs in with the same password: {others}."
            lines += ["", *textwrap.wrap(text, width=WIDTH)]
        if self.highlights:
            lines += ["", "Stories to try:", ""]
            width_numbers = max(len(numbers) for numbers, _story in self.highlights)
            for numbers, story in self.highlights:
                lines.append(f"  {numbers:<{width_numbers}}  {story}")
        return "\n".join(lines)


# --- loading -------------------------------------------------------------------------------


class DemoError(RuntimeError):
    pass


def is_loaded() -> bool:
    return Team.objects.filter(slug=MARKER_TEAM).exists()


def load_demo(reset: bool = False) -> DemoSummary:
    """Load the demo company unless it is there already; ``reset`` deletes it first."""
    with transaction.atomic():
        if reset:
            delete_demo()
        created = not is_loaded()
        if created:
            _Loader(clock.now()).load()
    return _summary(created)


def delete_demo() -> None:
    """Delete what the demo created: its tickets, customers, organisations, teams and people.

    Only demo records are touched: the customers and organisations by their demo emails and
    names, the agents by username *and* their demo email address, so an administrator made
    with ``escalade createadmin`` survives a reset.
    """
    User = get_user_model()
    customers = Customer.objects.filter(email__in=[c.email for c in CUSTOMERS])
    organisations = Organisation.objects.filter(name__in=[o.name for o in ORGANISATIONS])
    demo_tickets = Ticket.objects.filter(
        Q(customer__in=customers) | Q(organisation__in=organisations)
    )
    portal_users = list(User.objects.filter(customer__in=customers).values_list("pk", flat=True))
    with transaction.atomic():
        OutboxMessage.objects.filter(ticket__in=demo_tickets).delete()
        # Escalation records are protected from deletion everywhere else; a demo reset is
        # the one place that removes them, with the demo tickets they belong to.
        EscalationRecord.objects.filter(ticket__in=demo_tickets).delete()
        demo_tickets.delete()
        customers.delete()
        organisations.delete()
        Team.objects.filter(slug__in=[t.slug for t in TEAMS]).delete()
        User.objects.filter(pk__in=portal_users).delete()
        _demo_agents().delete()


def _demo_agents():
    return get_user_model().objects.filter(
        username__in=[p.username for p in PEOPLE], email__iendswith=f"@{STAFF_DOMAIN}"
    )


def _demo_tickets():
    return Ticket.objects.filter(customer__email__in=[c.email for c in CUSTOMERS])


def _summary(created: bool) -> DemoSummary:
    User = get_user_model()
    agents = set(_demo_agents().values_list("username", flat=True))
    portal = set(
        User.objects.filter(customer__email__in=[c.email for c in CUSTOMERS]).values_list(
            "username", flat=True
        )
    )
    listed = {username for username, _purpose in LOGINS}
    logins = [
        (username, DEMO_PASSWORD, purpose)
        for username, purpose in LOGINS
        if username in agents or username in portal
    ]
    others = [p.username for p in PEOPLE if p.username in agents and p.username not in listed]
    demo_tickets = _demo_tickets()
    return DemoSummary(
        created=created,
        logins=logins,
        tickets=demo_tickets.count(),
        counts={
            "teams": Team.objects.filter(slug__in=[t.slug for t in TEAMS]).count(),
            "agents": len(agents),
            "organisations": Organisation.objects.filter(
                name__in=[o.name for o in ORGANISATIONS]
            ).count(),
            "customers": Customer.objects.filter(email__in=[c.email for c in CUSTOMERS]).count(),
        },
        other_agents=others,
        highlights=_highlights(demo_tickets),
    )


def _numbers(ticket_ids: list[int]) -> str:
    """Ticket numbers as people write them: "#4, #9, #12–#16"."""
    runs: list[list[int]] = []
    for pk in sorted(ticket_ids):
        if runs and pk == runs[-1][-1] + 1:
            runs[-1].append(pk)
        else:
            runs.append([pk])
    return ", ".join(
        f"#{run[0]}–#{run[-1]}" if len(run) > 2 else ", ".join(f"#{pk}" for pk in run)
        for run in runs
    )


def _highlights(demo_tickets) -> list[tuple[str, str]]:
    def find(**lookup) -> list[int]:
        return list(demo_tickets.filter(**lookup).values_list("pk", flat=True))

    stories = [
        (find(subject=VIP_DOUBLE_CHARGE),
         "a VIP double charge in Norwegian, unanswered: watch the first-response SLA"),
        (find(subject=TURKISH_LOGIN, team__slug="support-tr"),
         "a Turkish \"login problem\" that is a payment error: transfer it to Billing"),
        (find(subject=ITALIAN_MANAGER),
         "an Italian customer asks for a manager (\"vorrei parlare con il responsabile\")"),
        (find(customer__email=WANG_FANG),
         "a premium Chinese customer's third contact in five days, angry: at risk"),
        (find(tags__icontains=f'"{INCIDENT_TAG}"'),
         "invoices cannot be downloaded, from five countries: a major incident"),
    ]  # fmt: skip
    return [(_numbers(ids), story) for ids, story in stories if ids]


def load_knowledge_base() -> int:
    """The demo help centre: knowledge-base articles in the six languages (docs/knowledge.md)."""
    from escalade.knowledge.demo import load_articles

    return load_articles()


class _Loader:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.users: dict[str, object] = {}
        self.actors: dict[str, Actor] = {}
        self.teams: dict[str, Team] = {}
        self.customers: dict[str, Customer] = {}
        self.customer_actors: dict[str, Actor] = {}
        self.tickets: dict[str, Ticket] = {}

    def load(self) -> None:
        self._teams()
        self._people()
        self._organisations_and_customers()
        self._passwords()
        self._escalation_document()
        self._tickets()
        load_knowledge_base()
        load_default_macros()

    def _escalation_document(self) -> None:
        """The company's escalation document, applied before any ticket so clocks start with them."""
        source = Path(escalation_package.__file__).with_name("example.yaml")
        document = load_document(source.read_text(encoding="utf-8"), str(source))
        apply_document(SYSTEM, document, str(source))

    # -- organisation chart

    def _teams(self) -> None:
        for team in TEAMS:
            self.teams[team.slug] = accounts.save_team(
                SYSTEM,
                slug=team.slug,
                name=team.name,
                function=team.function,
                tier_level=team.tier,
                timezone=team.timezone,
                calendar=team.calendar,
                assignment_strategy=team.strategy,
                email=team.email,
            )

    def _people(self) -> None:
        User = get_user_model()
        taken = set(
            User.objects.filter(username__in=[p.username for p in PEOPLE]).values_list(
                "username", flat=True
            )
        )
        clashes = sorted(taken - OPTIONAL_USERNAMES)
        if clashes:
            raise DemoError(
                "cannot load the demo: these usernames are already taken by users who are "
                f"not demo agents: {', '.join(clashes)}"
            )
        for person in PEOPLE:
            if person.username in taken:
                continue
            boss = self.users.get(person.reports_to) if person.reports_to else None
            profile = accounts.create_agent(
                SYSTEM,
                username=person.username,
                email=f"{person.username}@{STAFF_DOMAIN}",
                password=None,
                name=person.name,
                role=person.role,
                teams=[self.teams[slug] for slug in person.teams],
                languages=list(person.languages),
                skills=list(person.skills),
                capacity=person.capacity,
                reports_to=boss,
                availability=person.availability,
            )
            self.users[person.username] = profile.user
            self.actors[person.username] = actor_for(profile.user)
            if person.ui_language != "en" or person.time_zone:
                # The agents choose their interface language and time zone themselves.
                accounts.update_agent(
                    self.actors[person.username],
                    profile.user.pk,
                    ui_language=person.ui_language,
                    time_zone=person.time_zone,
                )
        for team in TEAMS:
            accounts.save_team(
                SYSTEM, self.teams[team.slug].pk, manager=self.users[team.manager].pk
            )

    def _organisations_and_customers(self) -> None:
        User = get_user_model()
        by_domain: dict[str, Organisation] = {}
        for org in ORGANISATIONS:
            by_domain[org.domain] = accounts.save_organisation(
                SYSTEM,
                name=org.name,
                tier=org.tier,
                country=org.country,
                timezone=org.timezone,
                calendar=org.calendar,
                domains=[org.domain],
            )
        for person in CUSTOMERS:
            created = accounts.create_customer(
                SYSTEM,
                name=person.name,
                email=person.email,
                phone=person.phone,
                language=person.language,
                organisation=by_domain.get(person.email.rpartition("@")[2]),
                social_handles=dict(person.social),
                is_org_admin=person.org_admin,
            )
            if person.login:
                # No service makes portal logins yet: link a user the way the factories do.
                first, _sep, last = person.name.partition(" ")
                user = User.objects.create_user(
                    username=person.email,
                    email=person.email,
                    password=None,
                    first_name=first,
                    last_name=last,
                )
                created.user = user
                created.save(update_fields=["user"])
                self.users[person.email] = user
                self.customer_actors[person.email] = actor_for(user)
            self.customers[person.email] = created

    def _passwords(self) -> None:
        # Argon2 is slow on purpose: hash the shared demo password once and reuse it.
        hashed = make_password(DEMO_PASSWORD)
        ids = [user.pk for user in self.users.values()]
        get_user_model().objects.filter(pk__in=ids).update(password=hashed)

    # -- tickets

    def _zone(self, ticket: TicketSeed) -> ZoneInfo:
        organisation = self.customers[ticket.customer].organisation
        if organisation is not None:
            return ZoneInfo(organisation.timezone)
        return ZoneInfo(self.teams[ticket.team].timezone)

    def _opened_at(self, ticket: TicketSeed) -> datetime:
        when = ticket.when
        if not when.local_time:
            return self.now - timedelta(minutes=when.minutes_ago)
        zone = self._zone(ticket)
        day = self.now.astimezone(zone).date() - timedelta(days=when.days_ago)
        local = datetime.combine(day, time.fromisoformat(when.local_time), tzinfo=zone)
        return min(local, self.now - timedelta(minutes=5))

    def _tickets(self) -> None:
        # Open them oldest first, so ticket numbers follow the calendar.
        ordered = sorted(TICKETS, key=self._opened_at)
        latest = self.now - timedelta(seconds=1)
        for ticket in ordered:
            opened = self._opened_at(ticket)
            with clock.frozen(opened):
                created = self._open(ticket)
            self.tickets[ticket.key] = created
            moment = opened
            for step in ticket.steps:
                if isinstance(step.at, Ago):
                    at = self.now - timedelta(minutes=step.at.minutes)
                else:
                    at = opened + timedelta(minutes=step.at)
                # Never in the future, and each step after the one before it.
                moment = max(moment + timedelta(seconds=1), min(at, latest))
                with clock.frozen(moment):
                    self._apply(created, ticket, step)

    def _write_as_customer(self, ticket: Ticket, email: str, text: str, channel: str) -> Message:
        actor = self.customer_actors.get(email)
        if actor is not None and channel == "portal":
            return tickets.add_message(actor, ticket.pk, body_text=text, channel=channel)
        return tickets.add_message(
            CHANNEL_ACTORS[channel], ticket.pk, body_text=text, channel=channel, as_customer=True
        )

    def _open(self, seed: TicketSeed) -> Ticket:
        requester = self.customers[seed.customer]
        fields = {
            "subject": seed.subject,
            "body_text": seed.body,
            "channel": seed.channel,
            "priority": seed.priority,
            "category": seed.category,
            "tags": seed.tags,
            "language": requester.language,
        }
        if seed.follow_up_of:
            # The customer wrote again to a closed ticket: the service opens a follow-up.
            original = self.tickets[seed.follow_up_of]
            message = self._write_as_customer(original, seed.customer, seed.body, seed.channel)
            ticket = message.ticket
            if ticket.pk == original.pk:
                raise DemoError(f"{seed.key}: {seed.follow_up_of} should have been closed")
            return tickets.update_ticket(
                ROUTING, ticket.pk, expected_version=None, team=seed.team,
                priority=seed.priority, category=seed.category, tags=list(seed.tags),
            )  # fmt: skip
        if seed.logged_by:
            # A phone call: the agent who answered writes the ticket and owns it.
            return tickets.create_ticket(
                self.actors[seed.logged_by], customer=requester, team=seed.team,
                assignee=self.users[seed.logged_by], **fields,
            )  # fmt: skip
        customer_actor = self.customer_actors.get(seed.customer)
        if seed.channel == "portal" and customer_actor is not None:
            # Customers cannot choose the team; routing puts the ticket where it belongs.
            ticket = tickets.create_ticket(customer_actor, **fields)
            return tickets.update_ticket(ROUTING, ticket.pk, expected_version=None, team=seed.team)
        return tickets.create_ticket(
            CHANNEL_ACTORS[seed.channel], customer=requester, team=seed.team, **fields
        )

    def _apply(self, ticket: Ticket, seed: TicketSeed, step: Step) -> None:
        agent = self.actors.get(step.who)
        if step.kind == "take":
            tickets.update_ticket(agent, ticket.pk, expected_version=None, assignee=step.who)
        elif step.kind == "reply":
            tickets.add_message(agent, ticket.pk, body_text=step.text, set_status=step.status)
        elif step.kind == "note":
            tickets.add_message(agent, ticket.pk, body_text=step.text, kind=Message.Kind.INTERNAL)
        elif step.kind == "customer":
            self._write_as_customer(ticket, seed.customer, step.text, seed.channel)
        elif step.kind == "bot":
            tickets.add_message(CHAT_BOT, ticket.pk, body_text=step.text, is_automatic=True)
        elif step.kind == "system":
            tickets.add_message(
                CHANNEL_ACTORS[seed.channel], ticket.pk, body_text=step.text,
                kind=Message.Kind.SYSTEM,
            )  # fmt: skip
        elif step.kind == "status":
            tickets.update_ticket(agent, ticket.pk, expected_version=None, status=step.status)
        elif step.kind == "close":
            tickets.update_ticket(AUTO_CLOSE, ticket.pk, expected_version=None, status="closed")
        else:  # pragma: no cover - a typo in the data above
            raise DemoError(f"unknown step {step.kind!r}")


__all__ = ["DEMO_PASSWORD", "DemoSummary", "delete_demo", "is_loaded", "load_demo"]
