import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from escalade.core.actors import actor_for


def agent_required(view):
    """Agent pages: anonymous users go to sign-in, customers and others get 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        actor = actor_for(request.user)
        if not actor.is_agent:
            raise PermissionDenied
        request.actor = actor
        return view(request, *args, **kwargs)

    return wrapper
