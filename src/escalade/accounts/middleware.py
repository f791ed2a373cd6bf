from contextlib import ExitStack

from django.utils import timezone, translation


class AgentPreferencesMiddleware:
    """An agent's chosen interface language wins over the browser's; their time zone is used
    for every time shown."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        profile = (
            getattr(user, "agent_profile", None)
            if user is not None and user.is_authenticated
            else None
        )
        if profile is None:
            return self.get_response(request)
        # override, not activate: the thread may serve the next request or run
        # service code for someone else, and must not keep this agent's preferences.
        with ExitStack() as preferences:
            if profile.ui_language:
                preferences.enter_context(translation.override(profile.ui_language))
                request.LANGUAGE_CODE = profile.ui_language
            if profile.time_zone:
                preferences.enter_context(timezone.override(profile.time_zone))
            return self.get_response(request)
