"""Rate limits for what sends e-mail or creates accounts: sign-up, password reset, resending the
confirmation link. Counted in the default cache (settings: a file cache every worker shares), in
fixed windows, per client IP address and per e-mail address. django-axes guards the sign-in only.

``allow`` counts one attempt and says whether it is within the limit. The file cache's increment is
a read and a write, not atomic between processes: two workers meeting may each count one attempt
as one, so a limit may let one or two more through under a burst. It is a brake on abuse, not an
exact quota.
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

MESSAGE = _("短い時間に何度も試されたため、しばらく受け付けません。1時間ほど待ってからもう一度お試しください。")


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window: int  # seconds


SIGNUP_PER_IP = Limit("signup-ip", 10, 3600)
SIGNUP_PER_EMAIL = Limit("signup-email", 3, 3600)
RESET_PER_IP = Limit("reset-ip", 10, 3600)
RESET_PER_EMAIL = Limit("reset-email", 3, 3600)
RESEND_PER_IP = Limit("resend-ip", 10, 3600)
RESEND_PER_EMAIL = Limit("resend-email", 3, 3600)


def cache_key(limit: Limit, who: str, now: float) -> str:
    """The counter's key: the scope, a digest of ``who`` (no address in the cache's file names) and
    the window's number."""
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{limit.scope}:{digest}:{int(now // limit.window)}"


def allow(limit: Limit, who: str, *, now: float | None = None) -> bool:
    """Count one attempt by ``who`` (an IP address or an e-mail address); False once over the limit."""
    if not who:
        return True
    key = cache_key(limit, who, time.time() if now is None else now)
    if cache.add(key, 1, timeout=limit.window + 1):
        return limit.limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window + 1)
        count = 1
    return count <= limit.limit


def allow_all(*checks: tuple[Limit, str]) -> bool:
    """Count the attempt against every (limit, who) pair; False if any is over (all are counted)."""
    results = [allow(limit, who) for limit, who in checks]
    return all(results)


def client_ip(request) -> str:
    """The client's address, found as django-axes finds it for sign-ins."""
    try:
        from axes.helpers import get_client_ip_address

        address = get_client_ip_address(request)
    except Exception:  # pragma: no cover - axes misconfigured
        address = None
    return address or request.META.get("REMOTE_ADDR", "")
