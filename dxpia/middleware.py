"""Security headers that Django 5.2 does not set by itself, the request log, and the page for a
document that this server cannot make."""

import logging
import time

# Only the app's own assets: municipal networks are closed and nothing is loaded from elsewhere.
# Inline styles stay allowed for the report preview's embedded stylesheet and Bootstrap's own use.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    """The policy above on every response, and ``Cache-Control: private, no-store`` on every
    response to a signed-in user that says nothing of caching itself: pages, exports and
    ``export.json`` show what only that user may see, and must not stay in a shared cache or on a
    shared computer's disk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        return response


request_logger = logging.getLogger("dxpia.request")


class RequestLogMiddleware:
    """One log line per request: method, path (never the query string, which may hold a search for
    a person's name), status, duration in milliseconds and the signed-in user's id or ``-``.

    First in MIDDLEWARE, so the duration covers every other middleware and static files served by
    WhiteNoise are logged too. It reads ``request.user`` only after the response is made, when
    ContentSecurityPolicyMiddleware has already looked at it, so it costs no query. A streamed
    response (a large export) is timed until its first byte, not its last.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        user = getattr(request, "user", None)
        request_logger.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 1),
                    "user": user.pk if user is not None and user.is_authenticated else "-",
                }
            },
        )
        return response


class SessionLanguageMiddleware:
    """The interface language chosen with the switch (kept in the session, see
    assessments.languages) over the one LocaleMiddleware took from the browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        from assessments import languages

        code = languages.from_session(request.session)
        if code is not None and code != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)


class DocumentUnavailableMiddleware:
    """A document that this server cannot make (reports.engine.MissingFonts: no Japanese font) is
    a 503 page that says so, for every download at once, instead of a 500 (or a PDF of boxes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from assessments.reports.engine import MissingFonts

        if isinstance(exception, MissingFonts):
            logging.getLogger("dxpia.documents").error("document not made: %s", exception)
            return render(request, "503_documents.html", status=503)
        return None
