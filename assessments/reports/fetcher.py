"""The only way WeasyPrint may load a resource: the app's own static files and data: URIs.

Users type URLs into evidence and answers; those are shown as text and never fetched. Anything
other than a static file of this app (file://, http(s)://, other hosts, paths outside the static
folders) is refused before any connection or file access is attempted.
"""

import mimetypes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

# The documents are rendered with this base URL, so {% static %} paths resolve under it.
BASE_URL = "https://dxpia.invalid/"


class RefusedURL(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    def __init__(self):
        super().__init__(allowed_protocols={"data", "https"}, allow_redirects=False, timeout=1)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        static_prefix = BASE_URL + settings.STATIC_URL.lstrip("/")
        if url.startswith(static_prefix):
            relative = url[len(static_prefix):].split("?")[0].split("#")[0]
            try:
                path = finders.find(relative) if ".." not in relative.split("/") else None
            except SuspiciousFileOperation:
                path = None
            if path:
                with open(path, "rb") as handle:
                    body = handle.read()
                content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
        self.refused.append(url)
        raise RefusedURL(f"dxpia does not fetch {url!r}")
