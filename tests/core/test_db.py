"""insert_once: a keyed row is written once, in one statement, and behaves like save()."""

import pytest
from django.db import IntegrityError
from django.db.models.signals import post_save

from escalade.core.db import insert_once
from escalade.core.models import OutboxMessage
from tests.factories import outbox_message

pytestmark = pytest.mark.django_db


def test_the_first_insert_wins_and_the_second_changes_nothing(clock):
    saved = []

    def on_save(sender, instance, created, **kwargs):
        saved.append((instance.pk, created))

    post_save.connect(on_save, sender=OutboxMessage)
    try:
        first = insert_once(outbox_message("k1", clock))
        again = outbox_message("k1", clock)
        again.payload = {"to": ["someone-else@example.com"]}
        second = insert_once(again)
    finally:
        post_save.disconnect(on_save, sender=OutboxMessage)

    assert first is not None
    assert first.pk is not None
    assert second is None
    assert saved == [(first.pk, True)]
    (row,) = OutboxMessage.objects.filter(dedupe_key="k1")
    assert row.payload == {"to": ["ünïcødé@example.com"]}  # the first one is kept


def test_errors_other_than_the_key_still_raise(clock):
    broken = outbox_message("k2", clock)
    broken.next_attempt_at = None  # NOT NULL
    with pytest.raises(IntegrityError):
        insert_once(broken)
