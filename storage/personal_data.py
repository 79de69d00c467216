"""Encryption at rest for ID and phone numbers, with a blind index for look-up.

* The value is encrypted with AES-256-GCM under the data key; a fresh 96-bit
  nonce per value; a version byte in front so keys can be rotated later.
* The blind index is HMAC-SHA256 under a *separate* key over the normalised value,
  so the database can find "this ID number" with an equality match without ever
  holding the number in clear, and a leaked index alone cannot be reversed
  without the index key.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class DecryptionError(ValueError):
    pass


class FieldCipher:
    def __init__(self, data_key: bytes, index_key: bytes) -> None:
        if len(data_key) != 32 or len(index_key) != 32:
            raise ValueError("data and index keys must be 32 bytes")
        if data_key == index_key:
            raise ValueError("data and index keys must differ")
        self._aead = AESGCM(data_key)
        self._index_key = index_key

    def encrypt(self, value: str, context: bytes = b"") -> bytes:
        """Encrypt ``value``; ``context`` (e.g. b"id_number") binds the ciphertext to its column."""
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode("utf-8"), context)

    def decrypt(self, blob: bytes, context: bytes = b"") -> str:
        if not blob or blob[:1] != _VERSION:
            raise DecryptionError("unknown ciphertext version")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], context).decode("utf-8")
        except Exception as exc:  # InvalidTag: wrong key, wrong column or tampering
            raise DecryptionError("cannot decrypt field") from exc

    def blind_index(self, value: str, context: bytes = b"") -> str:
        """Deterministic keyed hash of the normalised value, hex (64 chars)."""
        return hmac.new(self._index_key, context + b"\x00" + value.encode("utf-8"), hashlib.sha256).hexdigest()
