from django.urls import path

from escalade.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("kb/", views.kb_search, name="search"),
    path("kb/c/<slug:slug>/", views.kb_category, name="category"),
    path("kb/articles/<int:article_id>/vote/", views.article_vote, name="article-vote"),
    path("kb/articles/<int:article_id>/<slug:slug>/", views.article, name="article"),
    path("kb/answered/", views.answered, name="answered"),
    path("signin/", views.signin, name="signin"),
    path("signin/sent/", views.signin_sent, name="signin-sent"),
    path("signin/<str:token>/", views.signin_link, name="signin-link"),
    path("signout/", views.signout, name="signout"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.new_ticket, name="new-ticket"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:ticket_id>/manager/", views.ticket_manager, name="ticket-manager"),
    path("tickets/<int:ticket_id>/survey/", views.ticket_survey, name="ticket-survey"),
    path("account/", views.account, name="account"),
    path("language/", views.choose_language, name="language"),
]
