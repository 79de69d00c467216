"""Make test clips from real videos with PyAV (used by the tests and the benchmark).

Why in the package: the tests need phone-like variants of the shared real videos
(portrait with a rotation matrix, 10-bit HEVC, 720p H.264, truncated uploads) and the
benchmark needs a 720p selfie clip; both must be generated, never committed.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np


def read_frames(src: str | Path, max_frames: int | None = None) -> tuple[list[np.ndarray], float]:
    """All frames of ``src`` as RGB arrays, and its frame rate."""
    import av

    out = []
    with av.open(str(src)) as c:
        st = c.streams.video[0]
        fps = float(st.average_rate or 30)
        for fr in c.decode(st):
            out.append(fr.to_ndarray(format="rgb24"))
            if max_frames and len(out) >= max_frames:
                break
    return out, fps


def fit_frame(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to cover width x height and centre-crop (how a phone frames a selfie)."""
    h, w = rgb.shape[:2]
    s = max(width / w, height / h)
    big = cv2.resize(rgb, (int(np.ceil(w * s)), int(np.ceil(h * s))), interpolation=cv2.INTER_LINEAR)
    y0 = (big.shape[0] - height) // 2
    x0 = (big.shape[1] - width) // 2
    return np.ascontiguousarray(big[y0 : y0 + height, x0 : x0 + width])


def write_clip(
    frames: list[np.ndarray],
    dst: str | Path,
    fps: float = 30.0,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    options: dict[str, str] | None = None,
    container_format: str | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames. ``rotation`` stores a display matrix (phone portrait = -90 with
    the frames given landscape)."""
    import av

    dst = Path(dst)
    h, w = frames[0].shape[:2]
    rate = Fraction(fps).limit_denominator(1000)
    with av.open(str(dst), mode="w", format=container_format, options=container_options or {}) as c:
        st = c.add_stream(codec, rate=rate)
        if not isinstance(st, av.VideoStream):
            raise ValueError(f"{codec} is not a video codec")
        st.width, st.height, st.pix_fmt = w, h, pix_fmt
        opts: dict[str, object] = {"preset": "ultrafast"} if codec in ("libx264", "libx265") else {}
        if codec == "libx265":
            opts["x265-params"] = "log-level=none"
        opts.update(options or {})
        st.options = opts
        if codec == "libx265" and dst.suffix in (".mp4", ".mov"):
            st.codec_tag = "hvc1"
        if rotation:
            st.set_display_rotation(rotation)
        for img in frames:
            fr = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            for pkt in st.encode(fr.reformat(format=pix_fmt)):
                c.mux(pkt)
        for pkt in st.encode():
            c.mux(pkt)
    return dst


def make_selfie_clip(
    src: str | Path, dst: str | Path, width: int = 1280, height: int = 720, seconds: float = 5.0, fps: float = 30.0, **kw
) -> Path:
    """``seconds`` of ``src`` rescaled to width x height, looped if the source is shorter."""
    frames, src_fps = read_frames(src, max_frames=int(seconds * 60) + 1)
    n = int(round(seconds * fps))
    picked = [frames[int(i * src_fps / fps) % len(frames)] for i in range(n)]
    return write_clip([fit_frame(f, width, height) for f in picked], dst, fps=fps, **kw)
