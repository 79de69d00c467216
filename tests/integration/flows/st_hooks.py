"""schemathesis hooks for tests/integration/flows/test_api_fuzz.py: send generated video bodies as they are (raw bytes)."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("video/mp4", "video/quicktime", "video/webm")
def video_body(ctx: Any, value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
