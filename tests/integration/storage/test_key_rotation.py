"""Issue 11: keys rotate. A key id in every ciphertext, decryption by keyring, ``flask reencrypt`` in
batches, the row in the authenticated data. Before: no key id, and a value copied to another row decrypted."""

from __future__ import annotations

import base64
import datetime as dt
import os

import pytest
from sqlalchemy import select

from storage.models import Agency, Retiree
from storage.personal_data import _V1, DecryptionError, FieldCipher
from tests.conftest import make_settings
from tests.idnumbers import make_id

K1, K2, INDEX = os.urandom(32), os.urandom(32), os.urandom(32)


def test_key_id_in_ciphertext_and_keyring_decryption():
    old = FieldCipher(K1, INDEX, key_id=1)
    blob = old.encrypt("13812345678", b"phone", row="r1")
    assert blob[1] == 1
    new = FieldCipher(K2, INDEX, key_id=2, old_keys={1: K1})
    assert new.decrypt(blob, b"phone", row="r1") == "13812345678"
    assert new.encrypt("x", b"phone")[1] == 2
    with pytest.raises(DecryptionError):
        FieldCipher(K2, INDEX, key_id=2).decrypt(blob, b"phone", row="r1")  # key 1 retired: not readable


def test_a_value_moved_to_another_row_does_not_decrypt():
    cipher = FieldCipher(K1, INDEX)
    blob = cipher.encrypt("13812345678", b"phone", row="row-a")
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, b"phone", row="row-b")


def test_legacy_v1_values_still_decrypt():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    legacy = _V1 + nonce + AESGCM(K1).encrypt(nonce, b"13812345678", b"phone")
    assert FieldCipher(K2, INDEX, key_id=2, old_keys={1: K1}).decrypt(legacy, b"phone") == "13812345678"


def _app(tmp_path, redis_url, **env):
    from app import create_app

    env.setdefault("INDEX_KEY", base64.b64encode(INDEX).decode())
    settings = make_settings(tmp_path, REDIS_URL=redis_url, **env)
    return create_app(settings)


def test_reencrypt_cli_moves_every_row_to_the_current_key(tmp_path, redis_url):
    from storage.db import upgrade

    app1 = _app(tmp_path, redis_url, DATA_KEY=base64.b64encode(K1).decode())
    upgrade(app1.extensions["lifecert"].settings.database_url)
    c1 = app1.extensions["lifecert"].cipher
    with app1.extensions["lifecert"].db.session() as s:
        agency = Agency(code="a", name="a", cycle_policy={})
        s.add(agency)
        s.flush()
        for i in range(7):
            number = make_id("230102", "19400101", f"{i:03d}")
            index = c1.blind_index(number, b"id_number")
            bound = i % 2 == 0  # half written before values were bound to their row
            s.add(Retiree(agency_id=agency.id, name="张三", id_number_enc=c1.encrypt(number, b"id_number",
                                                                                      row=index if bound else None),
                          id_number_index=index, id_number_masked="x", birth_date=dt.date(1940, 1, 1),
                          phone_enc=c1.encrypt("13812345678", b"phone", row=index if bound else None)))
    app1.extensions["lifecert"].db.engine.dispose()
    app2 = _app(tmp_path, redis_url, DATA_KEY=base64.b64encode(K2).decode(), DATA_KEY_ID="2",
                OLD_DATA_KEYS="1:" + base64.b64encode(K1).decode())
    result = app2.test_cli_runner().invoke(args=["reencrypt", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "14" in result.output
    only_k2 = FieldCipher(K2, INDEX, key_id=2)
    with app2.extensions["lifecert"].db.session() as s:
        for r in s.scalars(select(Retiree)):
            assert r.id_number_enc[1] == 2
            assert only_k2.decrypt(r.phone_enc, b"phone", row=r.id_number_index) == "13812345678"
    again = app2.test_cli_runner().invoke(args=["reencrypt"])
    assert "re-encrypted 0" in again.output  # idempotent
    app2.extensions["lifecert"].db.engine.dispose()


# The blind index rotates too: a new LIFECERT_INDEX_KEY with the retired one in LIFECERT_OLD_INDEX_KEYS
# still finds everyone, and `flask reindex` moves each row (index and the ciphertexts bound to it) to the
# new key in batches. Before: one index key for ever, so a leaked index key could not be retired.

I1, I2 = os.urandom(32), os.urandom(32)


def test_blind_indexes_lists_the_current_key_first_then_retired_ones():
    cipher = FieldCipher(K1, I2, old_index_keys=[I1])
    number = make_id("230102", "19400101", "001")
    assert cipher.blind_indexes(number, b"id_number") == [
        cipher.blind_index(number, b"id_number"), FieldCipher(K1, I1).blind_index(number, b"id_number")]
    assert FieldCipher(K1, I2).blind_indexes(number, b"id_number") == [cipher.blind_index(number, b"id_number")]
    with pytest.raises(ValueError):
        FieldCipher(K1, I2, old_index_keys=[b"short"])


def _indexed_people(tmp_path, redis_url, count: int) -> list[str]:
    from storage.db import upgrade

    app1 = _app(tmp_path, redis_url, DATA_KEY=base64.b64encode(K1).decode(), INDEX_KEY=base64.b64encode(I1).decode())
    upgrade(app1.extensions["lifecert"].settings.database_url)
    c1 = app1.extensions["lifecert"].cipher
    numbers = [make_id("230102", "19400101", f"{i:03d}") for i in range(count)]
    with app1.extensions["lifecert"].db.session() as s:
        agency = Agency(code="a", name="a", cycle_policy={})
        s.add(agency)
        s.flush()
        for number in numbers:
            index = c1.blind_index(number, b"id_number")
            s.add(Retiree(agency_id=agency.id, name="张三", id_number_enc=c1.encrypt(number, b"id_number", row=index),
                          id_number_index=index, id_number_masked="x", birth_date=dt.date(1940, 1, 1),
                          phone_enc=c1.encrypt("13812345678", b"phone", row=index)))
    app1.extensions["lifecert"].db.engine.dispose()
    return numbers


def _rotated_app(tmp_path, redis_url):
    from app import create_app

    return create_app(make_settings(tmp_path, REDIS_URL=redis_url, DATA_KEY=base64.b64encode(K1).decode(),
                                    INDEX_KEY=base64.b64encode(I2).decode(),
                                    OLD_INDEX_KEYS=base64.b64encode(I1).decode()))


def test_a_reimport_during_rotation_updates_the_person_and_moves_the_row(tmp_path, redis_url):
    from flows.roster import import_roster

    number = _indexed_people(tmp_path, redis_url, 1)[0]
    app2 = _rotated_app(tmp_path, redis_url)
    services = app2.extensions["lifecert"]
    with services.db.session() as s:
        report = import_roster(s, services.cipher, s.scalar(select(Agency)),
                               [(2, {"name": "张三", "id_number": number, "phone": "13900001111"})],
                               today=dt.date(2026, 12, 3))
    assert (report.created, report.updated) == (0, 1)  # the same person, not a second one
    only_i2 = FieldCipher(K1, I2)
    with services.db.session() as s:
        (retiree,) = s.scalars(select(Retiree)).all()
        assert retiree.id_number_index == only_i2.blind_index(number, b"id_number")
        assert only_i2.decrypt(retiree.phone_enc, b"phone", row=retiree.id_number_index) == "13900001111"
        assert only_i2.decrypt(retiree.id_number_enc, b"id_number", row=retiree.id_number_index) == number
    services.db.engine.dispose()


def test_reindex_cli_moves_every_row_to_the_current_index_key(tmp_path, redis_url):
    from flows.people import find_retiree_by_id_number

    numbers = _indexed_people(tmp_path, redis_url, 7)
    app2 = _rotated_app(tmp_path, redis_url)
    services = app2.extensions["lifecert"]
    with services.db.session() as s:  # found under the retired key before the move
        assert find_retiree_by_id_number(s, services.cipher, numbers[3]) is not None
    result = app2.test_cli_runner().invoke(args=["reindex", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "re-indexed 7" in result.output
    only_i2 = FieldCipher(K1, I2)
    with services.db.session() as s:
        for number in numbers:
            retiree = find_retiree_by_id_number(s, only_i2, number)
            assert retiree is not None
            assert only_i2.decrypt(retiree.phone_enc, b"phone", row=retiree.id_number_index) == "13812345678"
    again = app2.test_cli_runner().invoke(args=["reindex"])
    assert "re-indexed 0" in again.output  # idempotent
    services.db.engine.dispose()


def test_old_index_keys_are_validated(tmp_path):
    with pytest.raises(Exception, match="OLD_INDEX_KEYS"):
        make_settings(tmp_path, OLD_INDEX_KEYS="not-base64")
    settings = make_settings(tmp_path, OLD_INDEX_KEYS=base64.b64encode(I1).decode())
    assert settings.old_index_keys == [I1]
