from escalade.core.actors import actor_for


def actor(request):
    return {"actor": actor_for(getattr(request, "user", None))}
