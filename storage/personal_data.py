"""Encryption at rest for ID and phone numbers, with a blind index for look-up.

* The value is encrypted with AES-256-GCM under the current data key; a fresh 96-bit
  nonce per value. Format v2: ``0x02 | key id (1 byte) | nonce (12) | ciphertext+tag``, so
  keys rotate: decryption picks the key by its id from the keyring (current key plus the
  retired ones still needed), and ``flask reencrypt`` moves every row to the current key
  in batches. v1 values (``0x01 | nonce | …``, before key ids) decrypt with key id 1.
* The authenticated data binds a value to its column (``context``) and, in v2, to its row
  (``row``: the row's unique blind index, known before the row is inserted): a ciphertext
  copied into another row or column does not decrypt.
* The blind index is HMAC-SHA256 under a *separate* key over the normalised value,
  so the database can find "this ID number" with an equality match without ever
  holding the number in clear, and a leaked index alone cannot be reversed
  without the index key. The index key rotates too: retired index keys still match
  (:meth:`FieldCipher.blind_indexes`) until ``flask reindex`` has moved every row — its index
  and the ciphertexts bound to it — to the current key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_V1 = b"\x01"
_V2 = b"\x02"
LEGACY_KEY_ID = 1


class DecryptionError(ValueError):
    pass


class FieldCipher:
    def __init__(self, data_key: bytes, index_key: bytes, key_id: int = LEGACY_KEY_ID,
                 old_keys: Mapping[int, bytes] | None = None, old_index_keys: Sequence[bytes] = ()) -> None:
        if len(data_key) != 32 or len(index_key) != 32:
            raise ValueError("data and index keys must be 32 bytes")
        if data_key == index_key:
            raise ValueError("data and index keys must differ")
        if not 1 <= key_id <= 255:
            raise ValueError("key id must be 1..255")
        keys = {int(k): v for k, v in (old_keys or {}).items()}
        if any(len(v) != 32 for v in keys.values()):
            raise ValueError("old data keys must be 32 bytes")
        keys[key_id] = data_key
        self.key_id = key_id
        self._keyring = {k: AESGCM(v) for k, v in keys.items()}
        if any(len(k) != 32 for k in old_index_keys):
            raise ValueError("old index keys must be 32 bytes")
        self._index_key = index_key
        self._old_index_keys = [k for k in old_index_keys if k != index_key]

    @staticmethod
    def _aad(context: bytes, row: str | None) -> bytes:
        return context + b"\x00" + (row or "").encode("utf-8")

    def encrypt(self, value: str, context: bytes = b"", row: str | None = None) -> bytes:
        """Encrypt ``value`` under the current key; ``context`` (e.g. b"id_number") binds it to its column,
        ``row`` (the row's blind index) to its row."""
        nonce = os.urandom(12)
        return (_V2 + bytes([self.key_id]) + nonce
                + self._keyring[self.key_id].encrypt(nonce, value.encode("utf-8"), self._aad(context, row)))

    def key_id_of(self, blob: bytes) -> int:
        if blob[:1] == _V1:
            return LEGACY_KEY_ID
        if blob[:1] == _V2 and len(blob) > 2:
            return blob[1]
        raise DecryptionError("unknown ciphertext version")

    def decrypt(self, blob: bytes, context: bytes = b"", row: str | None = None) -> str:
        if not blob:
            raise DecryptionError("empty ciphertext")
        key_id = self.key_id_of(blob)
        aead = self._keyring.get(key_id)
        if aead is None:
            raise DecryptionError(f"no key with id {key_id} in the keyring")
        try:
            if blob[:1] == _V1:
                return aead.decrypt(blob[1:13], blob[13:], context).decode("utf-8")
            try:
                return aead.decrypt(blob[2:14], blob[14:], self._aad(context, row)).decode("utf-8")
            except Exception:
                if not row:
                    raise
                # written without its row (before `flask reencrypt` bound it): a value bound to
                # another row fails both ways, so the row binding still holds for bound values
                return aead.decrypt(blob[2:14], blob[14:], self._aad(context, None)).decode("utf-8")
        except Exception as exc:  # InvalidTag: wrong key, wrong column, wrong row or tampering
            raise DecryptionError("cannot decrypt field") from exc

    def encrypt_bytes(self, data: bytes, context: bytes, row: str | None = None) -> bytes:
        """Whole files (a staged roster upload) in the same v2 format."""
        nonce = os.urandom(12)
        return _V2 + bytes([self.key_id]) + nonce + self._keyring[self.key_id].encrypt(nonce, data, self._aad(context, row))

    def decrypt_bytes(self, blob: bytes, context: bytes, row: str | None = None) -> bytes:
        aead = self._keyring.get(self.key_id_of(blob)) if blob[:1] == _V2 else None
        if aead is None:
            raise DecryptionError("not a v2 ciphertext of a known key")
        try:
            return aead.decrypt(blob[2:14], blob[14:], self._aad(context, row))
        except Exception as exc:
            raise DecryptionError("cannot decrypt staged file") from exc

    def needs_reencryption(self, blob: bytes | None) -> bool:
        return bool(blob) and blob is not None and (blob[:1] != _V2 or self.key_id_of(blob) != self.key_id)

    def blind_index(self, value: str, context: bytes = b"") -> str:
        """Deterministic keyed hash of the normalised value, hex (64 chars)."""
        return self._index_under(self._index_key, value, context)

    def blind_indexes(self, value: str, context: bytes = b"") -> list[str]:
        """The value's index under the current key, then under each retired index key.

        Look-ups match any of them while ``flask reindex`` moves rows to the current key, so a
        rotation never makes a person unfindable (a roster re-import would create them twice).
        """
        return [self._index_under(key, value, context) for key in (self._index_key, *self._old_index_keys)]

    @staticmethod
    def _index_under(key: bytes, value: str, context: bytes) -> str:
        return hmac.new(key, context + b"\x00" + value.encode("utf-8"), hashlib.sha256).hexdigest()
