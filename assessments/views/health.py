from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from assessments.health import health


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitoring: 200 when this server can take requests, else 503 with
    the failing check named. No sign-in; says nothing about users or assessments."""
    healthy, checks = health()
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
