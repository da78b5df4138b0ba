"""A real PostgreSQL server for the tests: a fresh cluster made with initdb in
a temporary directory (wal_level = logical), listening on a free loopback
port and on a Unix socket in that directory, run as a non-root user when the
tests run as root (postgres refuses to run as root), stopped at the end."""

import glob
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import time


def _bindir() -> pathlib.Path:
    configured = os.environ.get("INLET_PG_BINDIR")
    candidates = [configured] if configured else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate) / "initdb").exists():
            return pathlib.Path(candidate)
    found = shutil.which("initdb")
    if found:
        return pathlib.Path(found).parent
    raise RuntimeError("no PostgreSQL server found: install postgresql-15 (apt-get install "
                       "postgresql-15) or set INLET_PG_BINDIR to the directory holding initdb")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One cluster; `conninfo` reaches it over TCP as the superuser `cdc`."""

    def __init__(self, root: pathlib.Path, settings: dict | None = None):
        """Makes the cluster in `root`, a fresh directory outside any
        directory the server's user cannot enter."""
        self.bindir = _bindir()
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.settings = {"wal_level": "logical", "max_wal_senders": "10",
                         "max_replication_slots": "10", "fsync": "off",
                         "listen_addresses": "127.0.0.1", "unix_socket_directories": str(root),
                         "wal_sender_timeout": "60s", **(settings or {})}
        self.process = None
        self._user = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
        root.mkdir(parents=True, exist_ok=True)
        if self._user:
            os.chown(root, self._user.pw_uid, self._user.pw_gid)
        (root / "pw").write_text("secret\n")
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "cdc", "-E", "UTF8",
                   "--locale=C.UTF-8", "--auth=scram-sha-256", f"--pwfile={root / 'pw'}"])
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host all all 127.0.0.1/32 scram-sha-256\n"
                      "host replication all 127.0.0.1/32 scram-sha-256\n")
        self.conninfo = (f"host=127.0.0.1 port={self.port} dbname=postgres user=cdc "
                         "password=secret")
        self.env = {**os.environ, "PGPASSWORD": "secret", "PGHOST": "127.0.0.1",
                    "PGPORT": str(self.port), "PGUSER": "cdc", "PGDATABASE": "postgres"}

    def _demote(self):
        if self._user:
            os.setgid(self._user.pw_gid)
            os.setgroups([])
            os.setuid(self._user.pw_uid)

    def _run(self, argv):
        subprocess.run(argv, check=True, capture_output=True, preexec_fn=self._demote,
                       cwd=self.root)

    def start(self):
        argv = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        for name, value in self.settings.items():
            argv += ["-c", f"{name}={value}"]
        with open(self.root / "server.log", "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log,
                                            preexec_fn=self._demote, cwd=self.root)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.root / 'server.log').read_text()}")
            ready = subprocess.run([str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1",
                                    "-p", str(self.port)], check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not accept connections within 60 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Fast shutdown.
            self.process.wait(timeout=60)
        self.process = None

    def restart(self):
        self.stop()
        self.start()

    def sql(self, statements: str, dbname: str = "postgres") -> str:
        """Runs `statements` with psql (one transaction per statement unless
        they say otherwise); returns the output, unaligned, without headers."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", dbname],
            input=statements, env=self.env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

    def slot(self, name: str) -> dict | None:
        row = self.sql("SELECT confirmed_flush_lsn, restart_lsn, active FROM pg_replication_slots "
                       f"WHERE slot_name = '{name}'").strip()
        if not row:
            return None
        confirmed, restart, active = row.split("|")
        return {"confirmed_flush_lsn": lsn(confirmed), "restart_lsn": lsn(restart),
                "active": active == "t"}


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def lsn(text: str) -> int:
    """An LSN ("16/B374D848") as an integer."""
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def serve() -> None:
    """`python pg_server.py`: starts a fresh cluster, prints its connection
    string (superuser, database postgres) on a line of its own, and stops the
    server and removes the cluster when its standard input closes. For tests
    in other languages (tests/conformance_test.cc)."""
    import sys
    import tempfile

    root = pathlib.Path(tempfile.mkdtemp(prefix="inlet-pg-"))
    root.chmod(0o755)
    server = PgServer(root / "cluster", settings={"max_replication_slots": "400"})
    try:
        server.start()
        print(server.conninfo, flush=True)
        sys.stdin.read()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    serve()
