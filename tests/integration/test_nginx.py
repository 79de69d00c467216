"""nginx.conf is a real configuration: `nginx -t` accepts it (with test TLS files)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

from tests.conftest import REPO


def _self_signed(tmp_path):
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
    crt, pem = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def _nginx() -> str:
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.os.path.exists(exe):
        raise RuntimeError("nginx is not installed: scripts/test.sh installs it (apt-get install nginx)")
    return exe


def _checked_copy(tmp_path, text: str) -> subprocess.CompletedProcess:
    crt, pem = _self_signed(tmp_path)
    text = (text.replace("/etc/lifecert/tls/fullchain.pem", str(crt))
                .replace("/etc/lifecert/tls/privkey.pem", str(pem))
                .replace("/run/nginx-lifecert.pid", str(tmp_path / "nginx.pid"))
                .replace("/var/log/nginx/", str(tmp_path) + "/"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    return subprocess.run([_nginx(), "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "err.log")],
                          capture_output=True, text=True)


def test_nginx_accepts_the_config(tmp_path):
    text = (REPO / "nginx.conf").read_text()
    assert "ssl_certificate " in text and "listen 443 ssl" in text
    assert "client_max_body_size" in text and "proxy_pass http://lifecert_app" in text
    result = _checked_copy(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_check_catches_a_broken_config(tmp_path):
    text = (REPO / "nginx.conf").read_text().replace("proxy_pass http://lifecert_app;", "proxy_pass;", 1)
    result = _checked_copy(tmp_path, text)
    assert result.returncode != 0
