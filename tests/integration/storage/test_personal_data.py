import os

import pytest

from storage.personal_data import DecryptionError, FieldCipher


@pytest.fixture
def cipher():
    return FieldCipher(os.urandom(32), os.urandom(32))


def test_round_trip_and_random_nonce(cipher):
    a = cipher.encrypt("11010519491231002X", b"id_number")
    b = cipher.encrypt("11010519491231002X", b"id_number")
    assert a != b  # same value, different ciphertexts: no equality leak from the column
    assert b"11010519491231002X" not in a
    assert cipher.decrypt(a, b"id_number") == "11010519491231002X"


def test_wrong_key_or_column_cannot_decrypt(cipher):
    blob = cipher.encrypt("13812345678", b"phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, b"id_number")
    with pytest.raises(DecryptionError):
        FieldCipher(os.urandom(32), os.urandom(32)).decrypt(blob, b"phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), b"phone")


def test_blind_index_is_deterministic_and_keyed(cipher):
    assert cipher.blind_index("11010519491231002X") == cipher.blind_index("11010519491231002X")
    assert cipher.blind_index("11010519491231002X") != cipher.blind_index("110105194912310029")
    other = FieldCipher(os.urandom(32), os.urandom(32))
    assert other.blind_index("11010519491231002X") != cipher.blind_index("11010519491231002X")


def test_keys_must_be_distinct_and_32_bytes():
    key = os.urandom(32)
    with pytest.raises(ValueError):
        FieldCipher(key, key)
    with pytest.raises(ValueError):
        FieldCipher(b"short", os.urandom(32))
