"""Face templates: what enrollment stores for one photo and matching compares against.

A template holds one descriptor per embedding model (dlib 128-d, SFace 128-d) and the
quality of the photo it was made from (face height, sharpness, light, yaw), so a
borderline match on a poor enrolment photo can go to a reviewer instead of failing.

Byte format (what storage keeps; callers treat it as opaque bytes)::

    b"LFT1" | n_blocks:uint8 | n x (block_id:uint8 | 128 or 4 float32 little-endian)
    block 1 = dlib descriptor, 2 = SFace descriptor (unit length), 3 = photo quality
    (face_px, sharpness, luma, yaw_deg; NaN = not measured)

A bare 512-byte value (or a 128-value array) is a template from before SFace: dlib only.
Matching on it can reach "review" at best (one model), until the photo is enrolled again.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"LFT1"
DIM = 128
_DLIB, _SFACE, _QUALITY = 1, 2, 3
_QUALITY_FIELDS = ("face_px", "sharpness", "luma", "yaw")


@dataclass(frozen=True)
class FaceQuality:
    """Quality of the face a descriptor was taken from (NaN = not measured)."""

    face_px: float = float("nan")  # face height in original pixels
    sharpness: float = float("nan")  # variance of the Laplacian at 128 px width
    luma: float = float("nan")  # mean face luma 0-255
    yaw: float = float("nan")  # degrees from frontal

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.face_px, self.sharpness, self.luma, self.yaw)


@dataclass(frozen=True)
class FaceTemplate:
    dlib: np.ndarray | None = None
    sface: np.ndarray | None = None
    quality: FaceQuality | None = None

    def to_bytes(self) -> bytes:
        return template_to_bytes(self)


def _vec(raw: bytes) -> np.ndarray:
    arr = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError("template holds NaN or infinity")
    return arr


def _check(vec: np.ndarray | list | None) -> np.ndarray | None:
    if vec is None:
        return None
    arr = np.asarray(vec, np.float64).reshape(-1)
    if arr.size != DIM:
        raise ValueError(f"a descriptor has {DIM} values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("template holds NaN or infinity")
    return arr


def template_to_bytes(t: FaceTemplate) -> bytes:
    """Serialise (see module docstring)."""
    blocks = []
    for bid, vec in ((_DLIB, _check(t.dlib)), (_SFACE, _check(t.sface))):
        if vec is not None:
            blocks.append(bytes([bid]) + vec.astype("<f4").tobytes())
    if t.quality is not None:
        blocks.append(bytes([_QUALITY]) + struct.pack("<4f", *t.quality.as_tuple()))
    if not any(b[0] in (_DLIB, _SFACE) for b in blocks):
        raise ValueError("a template needs at least one descriptor")
    return MAGIC + bytes([len(blocks)]) + b"".join(blocks)


def parse_template(value: "FaceTemplate | bytes | bytearray | memoryview | np.ndarray | list") -> FaceTemplate:
    """Accept a stored template (bytes, new or legacy), a FaceTemplate, or a legacy dlib
    array; raise ValueError for anything malformed."""
    if isinstance(value, FaceTemplate):
        return FaceTemplate(_check(value.dlib), _check(value.sface), value.quality)
    if not isinstance(value, (bytes, bytearray, memoryview)):
        return FaceTemplate(dlib=_check(value))
    raw = bytes(value)
    if not raw.startswith(MAGIC):
        if len(raw) != DIM * 4:
            raise ValueError(f"a legacy template is {DIM * 4} bytes, got {len(raw)}")
        return FaceTemplate(dlib=_vec(raw))
    if len(raw) < 5:
        raise ValueError("truncated template")
    n, pos = raw[4], 5
    found: dict[int, object] = {}
    for _ in range(n):
        if pos >= len(raw):
            raise ValueError("truncated template")
        bid = raw[pos]
        size = 16 if bid == _QUALITY else DIM * 4
        body = raw[pos + 1: pos + 1 + size]
        if len(body) != size or bid not in (_DLIB, _SFACE, _QUALITY) or bid in found:
            raise ValueError("malformed template block")
        found[bid] = FaceQuality(*struct.unpack("<4f", body)) if bid == _QUALITY else _vec(body)
        pos += 1 + size
    if pos != len(raw) or not (_DLIB in found or _SFACE in found):
        raise ValueError("malformed template")
    return FaceTemplate(found.get(_DLIB), found.get(_SFACE), found.get(_QUALITY))  # type: ignore[arg-type]
