"""The ticket status state machine (pure; documented in docs/tickets.md).

new ──► open ◄──► pending / on_hold
 │       │              │
 └───────┴──► solved ◄──┘
                │  ▲
       closed ◄─┘  └─ a customer reply reopens it
closed is final: a customer writing again opens a follow-up ticket.
"""

NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = (
    "new",
    "open",
    "pending",
    "on_hold",
    "solved",
    "closed",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({OPEN, PENDING, ON_HOLD, SOLVED}),
    OPEN: frozenset({PENDING, ON_HOLD, SOLVED}),
    PENDING: frozenset({OPEN, ON_HOLD, SOLVED}),
    ON_HOLD: frozenset({OPEN, PENDING, SOLVED}),
    SOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return target == current or target in TRANSITIONS[current]


def status_after_customer_reply(current: str) -> str:
    """A customer writing means the ball is back with the agents (closed is handled apart)."""
    return NEW if current == NEW else OPEN


def status_after_agent_work(current: str) -> str:
    """An agent replying to or taking a new ticket opens it; other statuses are kept."""
    return OPEN if current == NEW else current
