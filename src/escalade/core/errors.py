"""Errors raised by services; the API and views turn them into 4xx responses."""

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status_code = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = str(message or self.default_message)
        self.field = field
        super().__init__(self.message)


class ValidationFailed(ServiceError):
    status_code = 422
    default_message = _("Invalid input.")


class PermissionDenied(ServiceError):
    status_code = 403
    default_message = _("You are not allowed to do this.")


class NotFound(ServiceError):
    status_code = 404
    default_message = _("Not found.")


class Conflict(ServiceError):
    status_code = 409
    default_message = _("This record was changed by someone else; reload and try again.")


class RateLimited(ServiceError):
    status_code = 429
    default_message = _("Too many attempts; try again later.")
