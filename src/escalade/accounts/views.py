from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalade.accounts import selectors, services
from escalade.core.actors import actor_for
from escalade.core.errors import RateLimited, ServiceError


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = AuthenticationForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "")
        address = _client_address(request)
        try:
            services.check_login_allowed(username, address)
        except RateLimited as exc:
            context = {"form": AuthenticationForm(request), "error": exc.message}
            return render(request, "accounts/login.html", context, status=429)
        if form.is_valid():
            services.clear_failed_logins(username)
            login(request, form.get_user())
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, {request.get_host()}, require_https=request.is_secure()
            ):
                target = "queue"
            return redirect(target)
        services.record_failed_login(username, address)
        status = 400
    return render(request, "accounts/login.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_GET
def time_zones_view(request: HttpRequest) -> HttpResponse:
    """The choices for the time zone preference, fetched when the field is first used."""
    if actor_for(request.user).agent is None:
        return redirect("login")
    return render(request, "accounts/_time_zones.html", {"zones": selectors.time_zone_choices()})


@require_POST
def preferences_view(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if actor.user is None or actor.agent is None:
        return redirect("login")
    fields = {
        key: request.POST[key]
        for key in ("ui_language", "time_zone", "availability")
        if key in request.POST
    }
    try:
        services.update_agent(actor, actor.user.pk, **fields)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Preferences saved."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "queue"
    return redirect(target)
