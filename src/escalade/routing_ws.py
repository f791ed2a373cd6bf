"""WebSocket routes (live queues, boards and notifications register here)."""

from django.urls import path

from escalade.workspace.consumers import LiveConsumer

websocket_urlpatterns: list = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
