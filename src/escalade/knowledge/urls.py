from django.urls import path

from escalade.knowledge import views

urlpatterns = [
    path("kb/picker/", views.picker, name="kb-picker"),
]
