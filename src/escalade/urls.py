from django.contrib import admin
from django.urls import include, path

from escalade.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("escalade.portal.urls")),
    path("portal/", include("escalade.feedback.urls")),
    path("", include("escalade.knowledge.urls")),
    path("", include("escalade.accounts.urls")),
    path("", include("escalade.workspace.urls")),
]
