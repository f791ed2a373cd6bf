"""Signals sent inside the transaction of a ticket change.

Receivers (the SLA clocks, the escalation engine, live updates) run in the same
transaction, so they see the change and their writes commit or roll back with it.
"""

from django.dispatch import Signal

# kwargs: ticket, actor, changes (dict field -> (before, after)), message (or None), created (bool)
ticket_changed = Signal()
