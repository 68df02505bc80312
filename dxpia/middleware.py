"""Security headers that Django 5.2 does not set by itself."""

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
