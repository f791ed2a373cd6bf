"""Live events: published after commit (never for a rolled-back change), once per commit, to
the right groups; and the WebSocket consumer that forwards them to signed-in agents."""

from __future__ import annotations

import asyncio
import json
from http.cookies import SimpleCookie

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.db import transaction
from django.test import Client

from escalade.asgi import application
from escalade.core.actors import actor_for
from escalade.escalation import services as escalation
from escalade.workspace import live
from tests.escalation.conftest import company, oslo  # noqa: F401


class RecordingLayer:
    """A channel layer that keeps what was sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.received.append((group, message["event"]))

    @property
    def sent(self) -> list[tuple[str, dict]]:
        live.drain()  # publishing does not wait for the layer
        return self.received


@pytest.fixture
def layer(monkeypatch):
    recording = RecordingLayer()
    monkeypatch.setattr(live, "get_channel_layer", lambda: recording)
    monkeypatch.setattr(live, "_loop", None)
    return recording


@pytest.mark.django_db
def test_an_event_is_sent_after_commit_once_and_never_after_a_rollback(
    layer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        live.publish_after_commit("board", {"type": "escalation", "ticket": 1})
        live.publish_after_commit("board", {"type": "escalation", "ticket": 1})
        live.publish_after_commit("board", {"type": "escalation", "ticket": 2})
        assert layer.sent == []  # nothing before the commit
        try:
            with transaction.atomic():
                live.publish_after_commit("board", {"type": "escalation", "ticket": 3})
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
    assert layer.sent == [
        ("board", {"type": "escalation", "ticket": 1}),
        ("board", {"type": "escalation", "ticket": 2}),
    ]


@pytest.mark.django_db
def test_an_event_queued_in_a_savepoint_is_queued_again_outside_it(
    layer, django_capture_on_commit_callbacks
):
    """The copy inside the savepoint could roll back alone: the outer one must still go."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                live.publish_after_commit("tickets", {"type": "ticket", "ticket": 7})
                raise RuntimeError
        except RuntimeError:
            pass
        live.publish_after_commit("tickets", {"type": "ticket", "ticket": 7})
    assert layer.sent == [("tickets", {"type": "ticket", "ticket": 7})]


def test_publishing_never_raises(monkeypatch):
    class Broken:
        async def group_send(self, group, message):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(live, "get_channel_layer", lambda: Broken())
    monkeypatch.setattr(live, "_loop", None)
    live.publish("board", {"type": "escalation"})  # logged, not raised


@pytest.mark.django_db
def test_an_escalation_tells_the_board_the_ticket_page_and_the_receiver(
    layer,
    django_capture_on_commit_callbacks,
    make,
    clock,
    company,  # noqa: F811
):
    clock.set(oslo(2026, 11, 23, 9, 0))
    kari = make.customer(
        "kari@fjordhandel.no",
        organisation=make.organisation("Fjordhandel", tier="vip", calendar="oslo"),
        language="nb",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make.ticket(kari, subject="Dobbel belastning", body="Belastet to ganger, faktura.")
    assert ("tickets", {"type": "ticket", "ticket": ticket.pk}) in layer.sent
    layer.sent.clear()
    nora = company.people["nora"]
    with django_capture_on_commit_callbacks(execute=True):
        record = escalation.escalate(
            actor_for(nora.user), ticket.pk, to="next_level", reason="refund over 10 000 NOK"
        )
    assert all(layer.sent.count(item) == 1 for item in layer.sent), layer.sent  # once each
    assert ("board", {"type": "escalation", "ticket": ticket.pk}) in layer.sent
    assert (f"ticket-{ticket.pk}", {"type": "escalation", "ticket": ticket.pk}) in layer.sent
    assert (f"user-{record.to_agent_id}", {"type": "notification"}) in layer.sent
    assert ("tickets", {"type": "ticket", "ticket": ticket.pk}) in layer.sent


# --- the consumer -----------------------------------------------------------------------------


def _cookie_header(user) -> bytes:
    client = Client()
    client.force_login(user)
    cookie = SimpleCookie()
    for name, morsel in client.cookies.items():
        cookie[name] = morsel.value
    return cookie.output(header="", sep=";").strip().encode()


class WebSocket(ApplicationCommunicator):
    """A WebSocket client for the ASGI application (channels.testing needs daphne)."""

    def __init__(self, path: str, headers: list) -> None:
        path, _, query = path.partition("?")
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": query.encode(),
            "headers": headers,
            "subprotocols": [],
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        super().__init__(application, scope)

    async def connect(self) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(5)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def receive_json_from(self, timeout: float = 5):
        return json.loads((await self.receive_output(timeout))["text"])

    async def send_json_to(self, data) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(5)


async def _connect(path: str, cookie: bytes | None):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    socket = WebSocket(path, headers)
    connected, code = await socket.connect()
    return socket, connected, code


@pytest.mark.django_db(transaction=True)
def test_the_websocket_forwards_board_events_to_supervisors_only(settings, make):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    supervisor = make.agent("sofia", role="supervisor").user
    agent = make.agent("nora").user
    customer = make.customer(with_login=True).user
    cookies = {who: _cookie_header(who) for who in (supervisor, agent, customer)}

    async def scenario():
        _anonymous, connected, code = await _connect("/ws/live/?topics=board", None)
        assert (connected, code) == (False, 4401)
        _customer, connected, code = await _connect("/ws/live/", cookies[customer])
        assert (connected, code) == (False, 4403)
        _agent, connected, code = await _connect("/ws/live/?topics=board", cookies[agent])
        assert (connected, code) == (False, 4403)

        board, connected, _ = await _connect("/ws/live/?topics=board,ticket:5", cookies[supervisor])
        assert connected
        assert await board.receive_json_from(timeout=5) == {"type": "hello", "groups": 3}
        await sync_to_async(live.publish)("board", {"type": "escalation", "ticket": 5})
        assert await board.receive_json_from(timeout=5) == {"type": "escalation", "ticket": 5}
        await sync_to_async(live.publish)(f"user-{supervisor.pk}", {"type": "notification"})
        assert await board.receive_json_from(timeout=5) == {"type": "notification"}
        await sync_to_async(live.publish)("ticket-6", {"type": "ticket", "ticket": 6})
        assert await board.receive_nothing(timeout=0.3)
        await board.send_json_to({"type": "ping"})
        assert await board.receive_json_from(timeout=5) == {"type": "pong"}
        await board.disconnect()

    async_to_sync(scenario)()
    asyncio.set_event_loop(None)
