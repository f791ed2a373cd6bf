"""The REST API, ``/api/v1``: session auth for the UI, bearer tokens for scripts."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from escalade.accounts.services import user_for_token
from escalade.core.errors import ServiceError


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Escalade API",
    version="1",
    urls_namespace="api-v1",
    auth=[TokenAuth(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field_of(location: list) -> str:
    parts = [
        str(part) for part in location if part not in ("body", "payload", "query", "path", "form")
    ]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def validation_failed(request: HttpRequest, exc: NinjaValidationError):
    errors = [
        {"field": _field_of(list(error.get("loc", []))), "message": error.get("msg", "invalid")}
        for error in exc.errors
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or _("Invalid input.")
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError):
    body = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"detail": _("Authentication required.")}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def _register_routers() -> None:
    from escalade.accounts.api import router as accounts_router
    from escalade.escalation.api import router as escalation_router
    from escalade.escalation.policy_api import router as policy_router
    from escalade.feedback.api import router as feedback_router
    from escalade.knowledge.api import router as knowledge_router
    from escalade.portal.api import router as portal_router
    from escalade.sla.api import router as sla_router
    from escalade.tickets.api import router as tickets_router

    api.add_router("/", accounts_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/tickets", sla_router)
    api.add_router("/", escalation_router)
    api.add_router("/", policy_router)
    api.add_router("/mail", "escalade.mail.api.router")
    api.add_router("/kb", knowledge_router)
    api.add_router("/portal", portal_router)
    api.add_router("/", feedback_router)


_register_routers()
