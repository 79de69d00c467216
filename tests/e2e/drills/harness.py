"""Real processes for the drills: gunicorn, nginx (from the repository's nginx.conf), supervisord.

Every process is started in its own session and stopped by its process group id,
never by name, so nothing else on the machine is touched.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO
from tests.servers import free_port, wait_for_port

BIN = Path(sys.executable).parent


def product_env(settings_env: dict[str, str]) -> dict[str, str]:
    """The environment of a product process: this one's minus LIFECERT_*, plus ``settings_env``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFECERT_")}
    env.update(settings_env)
    env["PYTHONPATH"] = str(REPO)
    return env


def stop_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group ``proc`` leads, then SIGKILL whatever is left."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_gunicorn(env: dict[str, str], port: int, workers: int = 2, log: Path | None = None) -> subprocess.Popen:
    cmd = [str(BIN / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}",
           "-w", str(workers), "app:app"]
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_port(port, timeout=60, proc=proc)
    return proc


@dataclass
class Nginx:
    proc: subprocess.Popen
    https_port: int
    conf: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def stop(self) -> None:
        stop_group(self.proc)


def self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lifecert.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "fullchain.pem", folder / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def nginx_exe() -> str:
    import shutil

    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(exe):
        raise RuntimeError("nginx is not installed: scripts/test.sh installs it (apt-get install nginx)")
    return exe


def start_nginx(folder: Path, upstream_port: int, text: str | None = None) -> Nginx:
    """The repository's nginx.conf with only addresses and file paths changed: loopback ports,
    a self-signed certificate, logs, pid and temp files under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = text if text is not None else (REPO / "nginx.conf").read_text()
    crt, pem = self_signed(folder)
    http_port, https_port = free_port(), free_port()
    text = (text.replace("/etc/lifecert/tls/fullchain.pem", str(crt))
                .replace("/etc/lifecert/tls/privkey.pem", str(pem))
                .replace("/run/nginx-lifecert.pid", str(folder / "nginx.pid"))
                .replace("/var/log/nginx/", str(folder) + "/")
                .replace("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream_port}"))
    text = re.sub(r"^\s*listen \[::\]:\d+.*$", "", text, flags=re.M)
    text = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", text)
    text = re.sub(r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", text)
    temp = "".join(f"    {d}_temp_path {folder / d};\n" for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {\n", "http {\n" + temp, 1)
    if os.geteuid() == 0:  # pytest's folders are private to root; nginx's workers must reach them
        text = "user root;\n" + text
    conf = folder / "nginx.conf"
    conf.write_text(text)
    proc = subprocess.Popen([nginx_exe(), "-c", str(conf), "-p", str(folder), "-e", str(folder / "err.log"),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wait_for_port(https_port, proc=proc)
    return Nginx(proc, https_port, conf)


def tls_socket(port: int, timeout: float = 10) -> ssl.SSLSocket:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="lifecert.test")


# --- supervisord ------------------------------------------------------------------------------------


@dataclass
class Supervisor:
    proc: subprocess.Popen
    env: dict[str, str]
    run_dir: Path

    def ctl(self, *args: str) -> str:
        result = subprocess.run([str(BIN / "supervisorctl"), "-c", str(REPO / "deploy" / "supervisord.conf"), *args],
                                env=self.env, capture_output=True, text=True, timeout=60)
        return result.stdout

    def status(self) -> dict[str, tuple[str, int]]:
        """program name → (state, pid)."""
        out = {}
        for line in self.ctl("status").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                m = re.search(r"pid (\d+)", line)
                out[parts[0]] = (parts[1], int(m.group(1)) if m else 0)
        return out

    def wait_running(self, names: list[str] | None = None, timeout: float = 90,
                     not_pids: dict[str, int] | None = None) -> dict[str, tuple[str, int]]:
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            wanted = names or list(st)
            ok = bool(st) and all(st.get(n, ("", 0))[0] == "RUNNING" for n in wanted)
            if ok and not_pids:
                ok = all(st[n][1] != p for n, p in not_pids.items())
            if ok:
                return st
            if time.monotonic() > deadline:
                raise TimeoutError(f"not all RUNNING within {timeout} s: {st}\n" + self.logs())
            time.sleep(0.2)

    def logs(self) -> str:
        text = []
        for f in sorted(self.run_dir.glob("*.log")):
            text.append(f"--- {f.name}\n" + f.read_text(errors="replace")[-3000:])
        return "\n".join(text)

    def stop(self) -> None:
        stop_group(self.proc, timeout=40)


def start_supervisor(run_dir: Path, env: dict[str, str], bind_port: int = 0, workers: int = 2, web: bool = True,
                     cron: bool = True, prefix: list[str] | None = None) -> Supervisor:
    """supervisord with deploy/supervisord.conf; ``prefix`` runs it under e.g. ``ip netns exec host1``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    env = dict(env, LIFECERT_VENV=str(BIN.parent), LIFECERT_BIND=f"127.0.0.1:{bind_port or free_port()}",
               LIFECERT_RUN_DIR=str(run_dir), LIFECERT_WORKERS=str(workers),
               LIFECERT_WEB=str(web).lower(), LIFECERT_CRON=str(cron).lower())
    proc = subprocess.Popen([*(prefix or []), str(BIN / "supervisord"), "-c", str(REPO / "deploy" / "supervisord.conf")], cwd=REPO,
                            env=env, stdout=open(run_dir / "supervisord.out", "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    sup = Supervisor(proc, env, run_dir)
    deadline = time.monotonic() + 30
    while not (run_dir / "supervisor.sock").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("supervisord did not start:\n" + (run_dir / "supervisord.out").read_text())
        time.sleep(0.1)
    return sup
