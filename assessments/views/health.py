from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from assessments.health import health


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitoring: 200 when this server can take requests (``ok``, or
    ``degraded`` when only the shared report worker fails), else 503 with the failing check named.
    No sign-in; says nothing about users or assessments."""
    status, checks = health()
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "fail" else 200)
