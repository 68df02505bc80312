"""The server error page, and the one server error that is not a fault of the code: a database too
busy to answer in time (SQLite's write lock still held by others after DXPIA_SQLITE_TIMEOUT seconds,
or a PostgreSQL deadlock, serialization failure or lock timeout). That one is a 503 with
Retry-After, which says to try again, instead of a 500, which says something is broken.

Django calls ``server_error`` for every exception a view or middleware lets through (not while
DEBUG is on), inside its ``except`` block, so ``sys.exc_info()`` is the exception being handled.
Like Django's own 500 page, it uses no database and no static files."""

import sys

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

# PostgreSQL's serialization_failure, deadlock_detected and lock_not_available: the transaction was
# rolled back and the same request sent again can succeed.
BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# SQLite's SQLITE_BUSY and SQLITE_LOCKED, as Python's sqlite3 words them.
BUSY_SQLITE_MESSAGES = ("database is locked", "database table is locked")
RETRY_AFTER_SECONDS = 10


def database_busy(error: BaseException | None) -> bool:
    """Whether ``error`` is the database refusing for now (locked, deadlocked), not for good."""
    if not isinstance(error, OperationalError):
        return False
    if str(error).startswith(BUSY_SQLITE_MESSAGES):
        return True
    return getattr(error.__cause__, "sqlstate", None) in BUSY_SQLSTATES


@requires_csrf_token
def server_error(request, template_name="500.html"):
    if not database_busy(sys.exc_info()[1]):
        return defaults.server_error(request, template_name)
    if request.content_type == "application/json":
        # The background save: wizard.js keeps the input on the page and sends it again by itself.
        response = JsonResponse(
            {
                "ok": False,
                "retry": True,
                "error": gettext(
                    "混み合っているため、いまは保存できませんでした。入力は画面に残っています。少し後に自動で保存し直します。"
                ),
            },
            status=503,
        )
    else:
        response = HttpResponse(loader.get_template("503_busy.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
