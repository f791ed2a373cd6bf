"""Account actions refuse bad input by naming the field, and never store half a change."""

import pytest

from escalade.accounts import services as accounts
from escalade.accounts.models import Customer, Organisation, Team
from escalade.core.actors import SYSTEM
from escalade.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  ", "tier": "standard"}, "name"),
        ({"name": "Acme", "tier": "platinum"}, "tier"),
        ({"name": "Acme", "timezone": "Europe/Atlantis"}, "timezone"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_an_organisation_with_a_bad_field_is_refused_and_not_stored(fields, field):
    with pytest.raises(ValidationFailed) as error:
        accounts.save_organisation(SYSTEM, **fields)
    assert error.value.field == field
    assert not Organisation.objects.exists()


def test_a_taken_team_slug_is_a_conflict_and_the_first_team_is_kept(make):
    make.team("billing", name="Billing")
    with pytest.raises(Conflict) as error:
        accounts.save_team(SYSTEM, slug="billing", name="Другой биллинг")
    assert "billing" in error.value.message
    assert list(Team.objects.values_list("slug", "name")) == [("billing", "Billing")]


def test_team_function_and_agent_role_must_be_known_values(make):
    with pytest.raises(ValidationFailed) as error:
        accounts.save_team(SYSTEM, slug="t", name="T", function="astrology")
    assert error.value.field == "function"
    with pytest.raises(ValidationFailed) as error:
        make.agent("zoe", role="emperor")
    assert error.value.field == "role"


def test_customer_emails_are_checked_lower_cased_and_unique(make):
    with pytest.raises(ValidationFailed) as error:
        accounts.create_customer(SYSTEM, name="Ola", email="ola at example")
    assert error.value.field == "email"
    first = accounts.create_customer(SYSTEM, name="Ola Nordmann", email="Ola@Example.NO")
    assert first.email == "ola@example.no"
    with pytest.raises(Conflict):
        accounts.create_customer(SYSTEM, name="Ola again", email="OLA@example.no")
    assert Customer.objects.get().name == "Ola Nordmann"


def test_an_agent_changes_only_their_own_availability(make):
    nora = make.agent("nora")
    kim = make.agent("kim")
    with pytest.raises(ValidationFailed) as error:
        accounts.update_agent(make.actor(nora), nora.user_id, availability="sleeping")
    assert error.value.field == "availability"
    accounts.update_agent(make.actor(nora), nora.user_id, availability="online")
    with pytest.raises(PermissionDenied):
        accounts.update_agent(make.actor(nora), kim.user_id, availability="online")
