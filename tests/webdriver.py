"""A tiny W3C WebDriver client over plain HTTP (requests), for headless Chromium through chromedriver.

Enough for the console's browser tests — open, find, type, click, wait, run a
script, screenshot — without adding selenium to the environment.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from tests.servers import free_port, wait_for_port

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=zh-CN"]


class WebDriverError(RuntimeError):
    pass


class Browser:
    def __init__(self, extra_args: list[str] | None = None) -> None:
        driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        binary = shutil.which("chromium") or "/usr/bin/chromium"
        self.profile = tempfile.mkdtemp(prefix="lifecert-chromium-")
        self.port = free_port()
        self.proc = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for_port(self.port, proc=self.proc)
        self.base = f"http://127.0.0.1:{self.port}"
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": binary, "args": [*CHROMIUM_ARGS, *(extra_args or []), f"--user-data-dir={self.profile}"]}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        response = requests.request(method, self.base + path, json=body if body is not None else None, timeout=60)
        value = response.json().get("value")
        if response.status_code >= 400:
            raise WebDriverError(f"{path}: {value.get('error') if isinstance(value, dict) else value}: "
                                 f"{(value or {}).get('message', '')[:300] if isinstance(value, dict) else ''}")
        return value

    def _s(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.session}{path}", body if body is not None else ({} if method == "POST" else None))

    def open(self, url: str) -> None:
        self._s("POST", "/url", {"url": url})

    def find(self, css: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]
            except WebDriverError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def exists(self, css: str) -> bool:
        return bool(self._s("POST", "/elements", {"using": "css selector", "value": css}))

    def type(self, css: str, text: str) -> None:
        self._s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self._s("POST", f"/element/{self.find(css)}/click")

    def text(self, css: str = "body") -> str:
        """The element's text; found again if the page replaced it in between (self-refreshing pages,
        a form's submit navigating while the text is read)."""
        for attempt in range(5):
            try:
                return self._s("GET", f"/element/{self.find(css)}/text")
            except WebDriverError as exc:
                # the page navigated or re-rendered between finding and reading: find it again
                gone = ("stale element" in str(exc) or "does not belong to the document" in str(exc))
                if not gone or attempt == 4:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def script(self, source: str, *args):
        return self._s("POST", "/execute/sync", {"script": source, "args": list(args)})

    def script_async(self, source: str, *args):
        """Run ``source`` with a callback as its last argument; returns what it passes to the callback."""
        return self._s("POST", "/execute/async", {"script": source, "args": list(args)})

    def set_size(self, width: int, height: int) -> None:
        self._s("POST", "/window/rect", {"width": width, "height": height})

    def add_cookie(self, name: str, value: str) -> None:
        self._s("POST", "/cookie", {"cookie": {"name": name, "value": value, "path": "/"}})

    def url(self) -> str:
        return self._s("GET", "/url")

    def wait_for_text(self, needle: str, css: str = "body", timeout: float = 20.0, tick=None) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text(css)
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} did not appear in {css}: {text[:500]!r}")
            if tick:
                tick()
            time.sleep(0.2)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self._s("GET", "/screenshot")))

    def quit(self) -> None:
        try:
            self._s("DELETE", "")
        except Exception:  # noqa: BLE001 - closing down: the process is stopped below anyway
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
