"""Who is acting: an agent (with a role), a customer, or the system itself.

Services receive an ``Actor`` and decide permissions from it; views and the API build it
from the authenticated user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from escalade.core.errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from escalade.accounts.models import AgentProfile, Customer

AGENT_ROLES = ("agent", "supervisor", "manager", "admin")


@dataclass(frozen=True)
class Actor:
    user: User | None
    agent: AgentProfile | None = None
    customer: Customer | None = None
    system_label: str | None = None

    @property
    def is_system(self) -> bool:
        return self.system_label is not None

    @property
    def is_agent(self) -> bool:
        return self.agent is not None or self.is_system

    @property
    def is_customer(self) -> bool:
        return self.customer is not None and self.agent is None

    @property
    def role(self) -> str | None:
        if self.is_system:
            return "system"
        if self.agent is not None:
            return self.agent.role
        return "customer" if self.customer is not None else None

    @property
    def is_admin(self) -> bool:
        return self.is_system or (self.agent is not None and self.agent.role == "admin")

    @property
    def is_supervisor(self) -> bool:
        """Supervisors, managers and admins: can acknowledge, see boards, override."""
        return self.is_system or (
            self.agent is not None and self.agent.role in ("supervisor", "manager", "admin")
        )

    @property
    def label(self) -> str:
        if self.system_label:
            return self.system_label
        if self.user is not None:
            return self.user.get_username()
        return "anonymous"

    def require_agent(self) -> None:
        if not self.is_agent:
            raise PermissionDenied()

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied()

    def require_supervisor(self) -> None:
        if not self.is_supervisor:
            raise PermissionDenied()


SYSTEM = Actor(user=None, system_label="system")


def system(label: str) -> Actor:
    return Actor(user=None, system_label=label)


def actor_for(user: User | None) -> Actor:
    """The actor for an authenticated user; anonymous users get an actor with no rights."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(user=None)
    agent = getattr(user, "agent_profile", None)
    customer = getattr(user, "customer", None)
    return Actor(user=user, agent=agent, customer=customer)
