"""A slow download never holds up the site (issue 12, item 1).

A streamed export reads the database while it is being sent. On SQLite with the default rollback
journal that read held a lock for as long as the download lasted, and every save and sign-in in the
meantime waited 20 s and failed with "database is locked". Here a reader opens ``/export/projects.csv``
through gunicorn, takes a few kilobytes and then stops reading, so the server's worker is stuck in the
middle of the stream with its query open. While it is stuck, somebody else signs in through the login
form and saves in the background; both must go through. Then the reader takes the rest, which must be
the whole catalogue.

Runs on the suite's database (a fresh SQLite file without DATABASE_URL, a fresh database on the
PostgreSQL server with it), in subprocesses and gunicorn like tests/test_concurrent_saves.py.
"""

import contextlib
import os
import socket

from bench import concurrent_saves as bench

EXTRA_PROJECTS = 12_000
# About 1 KB per row: the CSV (some 12 MB) is far larger than what the kernel's socket buffers can
# hold for a reader that has stopped reading, so the worker is still iterating over the query.
DESCRIPTION = "架空の事業（負荷試験用）。" * 24

ADD_PROJECTS = f"""
from assessments.models import Project
count = json.loads(sys.argv[1])
Project.objects.bulk_create(
    [Project(key=f"load-{{i:05d}}", title=f"架空の事業 {{i}}", description={DESCRIPTION!r}) for i in range(count)],
    batch_size=2000,
)
print({bench.MARKER!r} + json.dumps(Project.objects.count()))
"""


@contextlib.contextmanager
def stalled_download(base_url: str, path: str):
    """A GET of ``path`` whose reader takes the headers and a little of the body, then stops reading
    until the block's body is done. Yields a function that reads the rest and returns the whole body."""
    host, port = base_url.removeprefix("http://").split(":")
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server must wait
    reader.settimeout(bench.REQUEST_TIMEOUT)
    reader.connect((host, int(port)))
    try:
        reader.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        received = bytearray()
        while len(received) < 16_384:
            chunk = reader.recv(4096)
            assert chunk, "the server closed the download early"
            received += chunk

        def rest() -> bytes:
            while chunk := reader.recv(65536):
                received.extend(chunk)
            return bytes(received)

        yield rest
    finally:
        reader.close()


def test_a_stalled_csv_download_does_not_stop_sign_ins_and_saves():
    with bench.fresh_database(os.environ.get("DATABASE_URL") or None) as (database_url, workdir, kind):
        env = bench.django_environment(database_url, workdir)
        prepared = bench.prepare(env, clients=1)
        projects = bench._django_script(env, ADD_PROJECTS, EXTRA_PROJECTS, "adding projects")
        with bench.gunicorn(env, workers=2, workdir=workdir) as (base_url, log_path):
            with stalled_download(base_url, "/export/projects.csv") as rest:
                browser = bench.Browser(base_url)
                browser.sign_in(prepared["users"][0], bench.PASSWORD)
                save = bench.Save(client=1, number=1, question=prepared["questions"][0], kind="new", base=0,
                                  note="読み出し中の保存")
                browser.autosave(prepared["assessment"], save)
                assert (save.status, save.error) == (200, ""), save.summary()
                body = rest()
            log = open(log_path, encoding="utf-8", errors="replace").read()
        stored = bench.read_back(env, prepared["assessment"])

    assert "database is locked" not in log, log[-4000:]
    assert stored["answers"][save.question]["note"] == "読み出し中の保存"
    head, _, csv = body.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    if b"transfer-encoding: chunked" in head.lower():
        csv = dechunk(csv)
    lines = csv.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + projects, (kind, len(lines), projects)  # the header and every project
    assert sum(line.startswith("load-") for line in lines) == EXTRA_PROJECTS


def dechunk(data: bytes) -> bytes:
    out = bytearray()
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[:size]
        data = data[size + 2:]
