from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    STANDARD = "standard", _("standard")
    PREMIUM = "premium", _("premium")
    VIP = "vip", _("VIP")


class Organisation(models.Model):
    """A customer company; its tier is the customer value the SLA and risk score use."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    domains = models.JSONField(_("email domains"), default=list, blank=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier, default=Tier.STANDARD)
    country = models.CharField(_("country"), max_length=2, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    calendar = models.CharField(_("business calendar"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254, unique=True, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    social_handles = models.JSONField(_("social handles"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_org_admin = models.BooleanField(_("organisation admin"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


class Team(models.Model):
    """A department with a function and a tier level on the escalation ladder."""

    class Function(models.TextChoices):
        GENERAL = "general", _("general support")
        BILLING = "billing", _("billing / finance")
        TECHNICAL = "technical", _("technical")
        ENGINEERING = "engineering", _("engineering")
        SALES = "sales", _("sales")

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("round-robin")
        LEAST_LOADED = "least_loaded", _("least loaded")
        SKILL_MATCH = "skill_match", _("skill and language match")
        MANUAL = "manual", _("manual (team queue)")

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(
        _("function"), max_length=16, choices=Function, default=Function.GENERAL
    )
    tier_level = models.PositiveSmallIntegerField(_("tier level"), default=1)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        verbose_name=_("manager"),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    calendar = models.CharField(_("business calendar"), max_length=64, blank=True)
    email = models.EmailField(_("inbound address"), blank=True)
    assignment_strategy = models.CharField(
        _("assignment strategy"), max_length=16, choices=Strategy, default=Strategy.LEAST_LOADED
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["tier_level", "name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", _("agent")
        SUPERVISOR = "supervisor", _("supervisor")
        MANAGER = "manager", _("manager")
        ADMIN = "admin", _("admin")

    class Availability(models.TextChoices):
        ONLINE = "online", _("online")
        AWAY = "away", _("away")
        OFFLINE = "offline", _("offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role, default=Role.AGENT)
    teams = models.ManyToManyField(
        Team, blank=True, related_name="members", verbose_name=_("teams")
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (max open tickets)"), default=20)
    availability = models.CharField(
        _("availability"), max_length=8, choices=Availability, default=Availability.OFFLINE
    )
    reports_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
        verbose_name=_("reports to"),
    )
    ui_language = models.CharField(_("interface language"), max_length=10, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Times are shown in this zone (an IANA name); empty: the site's time zone."),
    )

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
