"""The escalation document over HTTP: GET exports it as YAML, PUT validates and applies it."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from escalade.core.actors import actor_for
from escalade.core.errors import ValidationFailed
from escalade.escalation import selectors, services
from escalade.escalation.document import DocumentError, dump_document, load_document

router = Router(tags=["configuration"])


@router.get("/policy", response={200: str}, summary="The escalation document as YAML (admins)")
def export_policy(request: HttpRequest):
    actor_for(request.auth).require_admin()
    return HttpResponse(
        dump_document(selectors.stored_document()), content_type="application/yaml; charset=utf-8"
    )


@router.put(
    "/policy",
    response=dict,
    summary="Validate and apply an escalation document (admins)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
def apply_policy(request: HttpRequest):
    actor = actor_for(request.auth)
    actor.require_admin()
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(_("document: the body is not UTF-8"), field="document") from None
    try:
        doc = load_document(text, "request body")
        return {"applied": services.apply_document(actor, doc, "request body")}
    except DocumentError as exc:
        raise ValidationFailed(
            "; ".join(str(problem) for problem in exc.problems), field="document"
        ) from None
