"""``Idempotency-Key`` on POSTs: a replayed request gets the first response back."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Status

from escalade.core import clock
from escalade.core.errors import Conflict, ValidationFailed
from escalade.core.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"


def _fingerprint(request: HttpRequest) -> str:
    return hashlib.sha256(
        request.method.encode() + request.path.encode() + request.body
    ).hexdigest()


def idempotent(view: Callable[..., Status]) -> Callable[..., Status]:
    """Wrap a ninja operation returning ``Status(code, schema)``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any):
        key = request.META.get(HEADER, "").strip()
        user = getattr(request, "auth", None)
        if not key or user is None:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            raise ValidationFailed(
                _("Idempotency-Key is longer than 255 characters"), field="Idempotency-Key"
            )
        fingerprint = _fingerprint(request)
        previous = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if previous is not None:
            if previous.request_fingerprint != fingerprint:
                raise Conflict(_("this Idempotency-Key was used for a different request"))
            # The stored JSON is the response: it is not validated against the schema again.
            return JsonResponse(previous.body, status=previous.status_code, safe=False)
        with transaction.atomic():
            result = view(request, *args, **kwargs)
            payload = json.loads(json.dumps(_jsonable(result.value), default=str))
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        request_fingerprint=fingerprint,
                        status_code=result.status_code,
                        body=payload,
                        created_at=clock.now(),
                    )
            except IntegrityError:
                # A concurrent replay won the race: undo ours, answer with theirs.
                raise Conflict(
                    _("a request with this Idempotency-Key is already being processed")
                ) from None
        return result

    return wrapper


def _jsonable(body: Any) -> Any:
    if hasattr(body, "model_dump"):
        return body.model_dump(mode="json")
    return body
