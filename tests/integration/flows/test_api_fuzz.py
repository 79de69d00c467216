"""schemathesis against the running service, aimed by its own OpenAPI document: no input answered 5xx.

The app runs on a real loopback server with a populated world (a logged-in retiree with a
binding, so the fuzzer's requests reach the use cases, not only the login check).
schemathesis (its CLI, as an operator would run it) generates requests from
/api/openapi.json; its HAR report is read back to count them and their statuses.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading

from werkzeug.serving import make_server

from storage.models import WeChatUser
from tests.conftest import REPO
from web import login

ST = os.path.join(os.path.dirname(sys.executable), "st")
MIN_REQUESTS = 5000


def test_schemathesis_finds_no_server_error(app, world, tmp_path):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with world.services.db.session() as s:
        version = s.get(WeChatUser, world.self_user_id).session_version
    with app.app_context():
        # the token the mini-program holds: [user id, session version] (a bare id is refused with 401,
        # which would leave every use case behind the login unfuzzed)
        token = login._serializer().dumps([world.self_user_id, version])
    har = tmp_path / "run.har"
    try:
        schema = json.loads(app.test_client().get("/api/openapi.json").data)
        assert {"/api/challenges", "/api/link", "/api/uploads/{challenge_id}"} <= set(schema["paths"])
        run = subprocess.run(
            [ST, "run", f"{base}/api/openapi.json", "--checks", "not_a_server_error", "--max-examples", "1000",
             "--phases", "examples,coverage,fuzzing", "--seed", "13", "--no-shrink", "--workers", "2",
             "-H", f"Authorization: Bearer {token}", "--report", "har", "--report-har-path", str(har),
             "--request-timeout", "30", "--no-color",
             # Hypothesis's generation health checks time the generator itself: on a loaded 2-core box
             # too_slow cut one operation short (4,164 requests instead of 7,164 with the same seed)
             "--suppress-health-check", "all"],
            capture_output=True, text=True, timeout=540, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.flows.st_hooks", "PYTHONPATH": str(REPO)})
    finally:
        server.shutdown()
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = collections.Counter(e["response"]["status"] for e in entries)
    print(f"\nschemathesis: {len(entries)} requests → {dict(sorted(statuses.items()))}")
    server_errors = [e["request"]["url"] for e in entries if e["response"]["status"] >= 500]
    assert server_errors == [], f"{len(server_errors)} answered 5xx, e.g. {server_errors[:3]}\n{run.stdout[-3000:]}"
    assert run.returncode == 0 or "not_a_server_error" not in run.stdout and " Errors:" not in run.stdout, \
        run.stdout[-3000:]
    assert len(entries) >= MIN_REQUESTS, run.stdout[-3000:]
    assert statuses[400] > 100 and any(s < 300 for s in statuses)  # the schemas and the use cases were reached
    assert statuses[401] < len(entries) / 4, statuses  # the fuzzer is logged in: it reaches what lies behind
