from django.urls import path

from escalade.feedback import views

app_name = "feedback"

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="survey"),
    path("feedback/", views.suggestion, name="suggestion"),
]
