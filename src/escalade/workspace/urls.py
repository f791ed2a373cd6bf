from django.urls import path
from django.views.generic import RedirectView

from escalade.workspace import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="queue"), name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/bulk/", views.queue_bulk, name="queue-bulk"),
    path("queue/filters/", views.filter_save, name="filter-save"),
    path("queue/filters/<int:filter_id>/delete/", views.filter_delete, name="filter-delete"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/explain/", views.ticket_explain, name="ticket-explain"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:ticket_id>/update/", views.ticket_update, name="ticket-update"),
    path("tickets/<int:ticket_id>/escalate/", views.ticket_escalate, name="ticket-escalate"),
    path(
        "tickets/<int:ticket_id>/acknowledge/", views.ticket_acknowledge, name="ticket-acknowledge"
    ),
    path("board/", views.board, name="board"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification-badge"),
    path("notifications/read/", views.notification_read, name="notifications-read"),
    path("macros/", views.macro_list, name="macros"),
    path("macros/<int:macro_id>/delete/", views.macro_delete, name="macro-delete"),
]
