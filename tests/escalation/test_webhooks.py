"""Webhooks leave through the outbox to a real HTTP server: signed, retried, dead-lettered."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from escalade.core import outbox
from escalade.core.models import OutboxMessage
from escalade.escalation.models import Webhook
from escalade.escalation.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, Event, queue_webhook

pytestmark = pytest.mark.django_db
SECRET = "s3cr3t-hook-key"


class Receiver:
    """A local HTTP endpoint that answers with the status codes it is given, in order."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    receivers = []

    def make(statuses):
        receiver = Receiver(statuses)
        receivers.append(receiver)
        return receiver

    yield make
    for receiver in receivers:
        receiver.close()


def test_a_signed_webhook_is_retried_after_a_500_and_then_delivered(
    make, clock, monkeypatch, receiver_factory
):
    monkeypatch.setenv("ESCALADE_TEST_HOOK_SECRET", SECRET)
    receiver = receiver_factory([500, 200])
    Webhook.objects.create(name="ops", url=receiver.url, secret_env="ESCALADE_TEST_HOOK_SECRET")
    ticket = make.ticket(subject="Nothing works")
    assert queue_webhook(
        "ops", Event("evt-1", "sla_breach", "Breach on #1", "first response"), ticket
    )
    assert not queue_webhook(
        "ops", Event("evt-1", "sla_breach", "Breach on #1", "first response"), ticket
    )

    assert outbox.deliver_due(clock.now()) == (0, 1)
    message = OutboxMessage.objects.get(channel="webhook")
    assert (message.status, message.attempts) == ("pending", 1)
    assert "HTTP 500" in message.last_error
    assert outbox.deliver_due(clock.now() + timedelta(seconds=29)) == (0, 0)  # backing off
    assert outbox.deliver_due(clock.now() + timedelta(seconds=30)) == (1, 0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)

    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    for request in receiver.requests:
        timestamp = request["headers"][TIMESTAMP_HEADER]
        expected = (
            "sha256="
            + hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
            ).hexdigest()
        )
        assert hmac.compare_digest(request["headers"][SIGNATURE_HEADER], expected)
    payload = json.loads(receiver.requests[-1]["body"])
    assert payload["event"] == "sla_breach"
    assert payload["ticket"]["id"] == ticket.pk


def test_a_webhook_that_keeps_failing_becomes_a_dead_letter(make, clock, receiver_factory):
    receiver = receiver_factory([503])
    Webhook.objects.create(name="down", url=receiver.url)
    ticket = make.ticket()
    queue_webhook("down", Event("evt-2", "escalated", "t", "b"), ticket)
    moment = clock.now()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        outbox.deliver_due(moment)
        moment += outbox.backoff(attempt)
    message = OutboxMessage.objects.get(channel="webhook")
    assert message.status == "dead"
    assert message.attempts == outbox.MAX_ATTEMPTS
    assert len(receiver.requests) == outbox.MAX_ATTEMPTS
    assert outbox.deliver_due(moment + timedelta(days=1)) == (0, 0)


def test_slack_format_and_unreachable_hosts(make, clock, receiver_factory):
    receiver = receiver_factory([200])
    Webhook.objects.create(name="slack", url=receiver.url, format="slack")
    Webhook.objects.create(name="nowhere", url="http://127.0.0.1:9/unreachable")
    ticket = make.ticket(subject="Fakturaen mangler")
    queue_webhook("slack", Event("evt-3", "escalated", "Escalated", "to billing-l2"), ticket)
    queue_webhook("nowhere", Event("evt-3", "escalated", "Escalated", "to billing-l2"), ticket)
    sent, failed = outbox.deliver_due(clock.now())
    assert (sent, failed) == (1, 1)
    assert set(json.loads(receiver.requests[0]["body"])) == {"text"}
    assert "Escalated" in json.loads(receiver.requests[0]["body"])["text"]
    assert "unreachable" in OutboxMessage.objects.get(dedupe_key__endswith="nowhere").last_error
