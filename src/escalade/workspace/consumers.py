"""The one WebSocket of the workspace: ``/ws/live/?topics=board,queue,ticket:38``.

Every signed-in agent gets their own notifications; ``queue`` and ``ticket:<id>`` add the
queue and one ticket page; ``board`` is for supervisors, managers and admins. Messages are
the small JSON notices of ``live.py``; the page fetches what changed over HTTP.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from escalade.core.actors import actor_for
from escalade.workspace import live

NOT_SIGNED_IN = 4401
FORBIDDEN = 4403
MAX_TOPICS = 10


def _topics(query_string: bytes) -> list[str]:
    values = parse_qs(query_string.decode("latin-1")).get("topics", [""])
    topics = [t.strip() for value in values for t in value.split(",") if t.strip()]
    return list(dict.fromkeys(topics))[:MAX_TOPICS]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    live_groups: list[str]

    async def connect(self) -> None:
        self.live_groups = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return
        actor = await database_sync_to_async(actor_for)(user)
        if not actor.is_agent:
            await self.close(code=FORBIDDEN)
            return
        groups = [live.user_group(user.pk)]
        for topic in _topics(self.scope.get("query_string", b"")):
            if topic == "board":
                if not actor.is_supervisor:
                    await self.close(code=FORBIDDEN)
                    return
                groups.append(live.BOARD)
            elif topic == "queue":
                groups.append(live.TICKETS)
            elif topic.startswith("ticket:") and topic[7:].isdigit():
                groups.append(live.ticket_group(int(topic[7:])))
        live.remember_loop(asyncio.get_running_loop())
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.live_groups = groups
        await self.accept()
        await self.send_json({"type": "hello", "groups": len(groups)})

    async def disconnect(self, code: int) -> None:
        for group in self.live_groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_event(self, message: dict) -> None:
        await self.send_json(message["event"])
