from django.utils import translation


class CustomerLanguageMiddleware:
    """A signed-in customer's language (their setting) wins over the browser's.

    Runs after ``LocaleMiddleware`` (which follows the language cookie set by Django's
    ``set_language`` and the browser's Accept-Language) and after the agents' own
    ``AgentPreferencesMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = customer_language(getattr(request, "user", None))
        if not code:
            return self.get_response(request)
        # override, not activate: the thread may serve someone else next.
        with translation.override(code):
            request.LANGUAGE_CODE = code
            return self.get_response(request)


def customer_language(user) -> str:
    if user is None or not user.is_authenticated or hasattr(user, "agent_profile"):
        return ""
    customer = getattr(user, "customer", None)
    if customer is None or not customer.language:
        return ""
    try:
        return translation.get_supported_language_variant(customer.language.lower())
    except LookupError:
        return ""
