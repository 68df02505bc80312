"""Two app servers behind one load balancer: bench/two_servers.py's flow (which see), on the database
the suite runs on: without DATABASE_URL a fresh SQLite file in a temporary folder, with a postgres://
DATABASE_URL (the second run of `bash scripts/dev.sh test`) a fresh database on that server, dropped
afterwards. Two gunicorn instances on two loopback ports share the database and the rendered-document
folder (DXPIA_CACHE_DIR), and the task worker renders a later revision ahead for both to serve. Nothing
is timed here; bench/two_servers.py prints the durations.
"""

import os

from bench import two_servers


def test_a_save_through_one_server_is_in_the_report_from_the_other_and_the_workers_render_is_served_by_both():
    result = two_servers.run(database_url=os.environ.get("DATABASE_URL") or None, workers=1, out=lambda _line: None)
    report = "\n".join(result.lines)
    # Each check names what a user would notice: the note saved through A missing from B's report, A
    # rendering B's report again instead of serving it, or a different PDF from the other server.
    assert result.failures == [], report
    assert result.kind == ("postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite")
    assert list(result.timings) == ["save through A", "report through B (rendered)", "report through A (cached)",
                                    "report through B again (cached)", "worker renders the report and the letter",
                                    "report through A (rendered by the worker)",
                                    "report through B (rendered by the worker)"], report
