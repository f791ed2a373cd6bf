from django.utils import translation


class UserLanguageMiddleware:
    """An agent's chosen interface language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        profile = (
            getattr(user, "agent_profile", None)
            if user is not None and user.is_authenticated
            else None
        )
        if profile is None or not profile.ui_language:
            return self.get_response(request)
        # override, not activate: the thread may serve the next request or run
        # service code for someone else, and must not keep this agent's language.
        with translation.override(profile.ui_language):
            request.LANGUAGE_CODE = profile.ui_language
            return self.get_response(request)
