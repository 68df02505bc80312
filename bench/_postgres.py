"""A throwaway PostgreSQL cluster on a free loopback port, as `scripts/dev.sh test` starts one
(start_postgres there): initdb into a temporary folder, trust authentication, listening on 127.0.0.1
only, durability off (fsync, synchronous_commit and full_page_writes: a benchmark's data is thrown
away). Stopped and removed when the block ends, also on error. Used by bench/load.py and
bench/two_servers.py when no ``--database-url`` is given."""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile


def postgres_bin() -> str:
    """The newest /usr/lib/postgresql/*/bin, as dev.sh picks it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".")])
    if not found:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres():
    """Yields the server's URL (postgres://postgres@127.0.0.1:PORT/postgres)."""
    binaries = postgres_bin()
    folder = tempfile.mkdtemp(prefix="dxpia-pg-")
    as_postgres = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = os.path.join(folder, "data")
    started = False
    try:
        subprocess.run([*as_postgres, f"{binaries}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True, timeout=120)
        subprocess.run([*as_postgres, f"{binaries}/pg_ctl", "-D", data, "-l", os.path.join(folder, "log"), "-w", "-o",
                        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"],
                       check=True, capture_output=True, timeout=120)
        started = True
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run([*as_postgres, f"{binaries}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
