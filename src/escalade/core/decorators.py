import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from escalade.core.actors import actor_for

PORTAL_HOME = "portal:home"


def agent_required(view):
    """Agent pages: anonymous users go to sign-in, customers to their portal (a
    change they post is refused), others get 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        actor = actor_for(request.user)
        if actor.is_customer and request.method in ("GET", "HEAD"):
            return redirect(PORTAL_HOME)  # a customer who signed in at /login/ belongs there
        if not actor.is_agent:
            raise PermissionDenied
        request.actor = actor
        return view(request, *args, **kwargs)

    return wrapper
