from django.urls import path

from escalade.accounts import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("preferences/", views.preferences_view, name="preferences"),
    path("preferences/time-zones/", views.time_zones_view, name="time-zones"),
]
