"""The worker's unit of work: writes wait until something reads them, tracked rows are handed
out as copies, and whatever the unit cannot vouch for ends in Redo (the batch is redone)."""

import pytest
from django.db import IntegrityError, transaction

from escalade.core import db
from escalade.core.actors import system
from escalade.core.models import OutboxMessage
from escalade.core.unit_of_work import Redo, unit_of_work
from escalade.tickets.models import Ticket, TicketEvent
from escalade.tickets.services import record_event
from tests.factories import outbox_message

pytestmark = pytest.mark.django_db
ROBOT = system("test")


def test_writes_wait_until_a_query_reads_their_table(make, clock):
    ticket = make.ticket(make.customer("ada@example.com"))
    before = TicketEvent.objects.filter(ticket=ticket).count()
    with transaction.atomic(), unit_of_work() as unit:
        events = [record_event(ticket, ROBOT, "note", note=f"n{n}") for n in range(3)]
        # Every row has its id before it is written, so callers can refer to it.
        assert all(event.pk is not None for event in events)
        assert unit.waiting == 3
        list(Ticket.objects.filter(pk=ticket.pk))  # another table: nothing is sent
        assert unit.waiting == 3
        # Reading the events' table sends them first.
        assert TicketEvent.objects.filter(ticket=ticket).count() == before + 3
        assert unit.waiting == 0
    notes = TicketEvent.objects.filter(ticket=ticket, kind="note").order_by("pk")
    assert [(e.pk, e.note) for e in notes] == [(e.pk, e.note) for e in events]


def test_what_is_left_is_written_when_the_unit_ends(make, clock):
    ticket = make.ticket(make.customer("bo@example.com"))
    with transaction.atomic(), unit_of_work():
        record_event(ticket, ROBOT, "note", note="at the end")
    assert TicketEvent.objects.filter(ticket=ticket, note="at the end").count() == 1


def test_a_tracked_row_is_handed_out_as_a_copy_of_its_current_state(make, clock):
    ticket = make.ticket(make.customer("cy@example.com"), subject="Før")
    with transaction.atomic(), unit_of_work() as unit:
        unit.track([Ticket.objects.get(pk=ticket.pk)])
        first = db.tracked(Ticket, ticket.pk)
        first.subject = "changed on the copy only"
        assert db.tracked(Ticket, ticket.pk).subject == "Før"
        assert db.update_row(Ticket, ticket.pk, {"subject": "Etter 🚀"})
        assert db.tracked(Ticket, ticket.pk).subject == "Etter 🚀"
        # A compare-and-set against a value the row no longer has changes nothing.
        assert not db.update_row(
            Ticket, ticket.pk, {"subject": "lost"}, expected={"subject": "Før"}
        )
        # Any query of the table sees the change: it is sent first.
        assert Ticket.objects.get(pk=ticket.pk).subject == "Etter 🚀"
    assert Ticket.objects.get(pk=ticket.pk).subject == "Etter 🚀"


def test_a_keyed_row_is_kept_once_within_the_unit(clock):
    with transaction.atomic(), unit_of_work():
        first = db.insert_once(outbox_message("once", clock))
        second = db.insert_once(outbox_message("once", clock))
    assert first is not None
    assert second is None
    assert OutboxMessage.objects.filter(dedupe_key="once").count() == 1


def test_a_key_already_stored_means_redo_and_nothing_of_the_unit_stays(make, clock):
    ticket = make.ticket(make.customer("di@example.com"))
    db.insert_once(outbox_message("stored", clock))

    def batch():
        with transaction.atomic(), unit_of_work():
            record_event(ticket, ROBOT, "note", note="must go with the batch")
            db.insert_once(outbox_message("stored", clock))

    with pytest.raises(Redo, match="unique key"):
        batch()
    assert not TicketEvent.objects.filter(note="must go with the batch").exists()
    assert OutboxMessage.objects.filter(dedupe_key="stored").count() == 1


def test_a_write_around_the_unit_to_a_tracked_table_means_redo(make, clock):
    ticket = make.ticket(make.customer("ed@example.com"), subject="Original")

    def batch():
        with transaction.atomic(), unit_of_work() as unit:
            unit.track([Ticket.objects.get(pk=ticket.pk)])
            Ticket.objects.filter(pk=ticket.pk).update(subject="behind its back")

    with pytest.raises(Redo, match="outside the unit"):
        batch()
    assert Ticket.objects.get(pk=ticket.pk).subject == "Original"


def test_a_rolled_back_savepoint_means_redo(make, clock):
    ticket = make.ticket(make.customer("fa@example.com"))

    def batch():
        with transaction.atomic(), unit_of_work():
            record_event(ticket, ROBOT, "note", note="before")
            try:
                with transaction.atomic():
                    record_event(ticket, ROBOT, "note", note="inside")
                    raise ValueError("roll the savepoint back")
            except ValueError:
                pass

    with pytest.raises(Redo, match="savepoint"):
        batch()
    assert not TicketEvent.objects.filter(note__in=["before", "inside"]).exists()


def test_errors_other_than_a_key_still_raise_when_the_rows_are_sent(make, clock):
    broken = outbox_message("broken", clock)
    broken.next_attempt_at = None  # NOT NULL

    def batch():
        with transaction.atomic(), unit_of_work():
            db.insert_once(broken)

    with pytest.raises(IntegrityError):
        batch()
    assert not OutboxMessage.objects.filter(dedupe_key="broken").exists()
