"""Finding a person by ID number, and moving their encrypted fields to the current keys.

Every look-up by ID number goes through :func:`find_retiree_by_id_number`, which matches the
blind index under the current index key and under each retired one, so rotating the index key
(``LIFECERT_INDEX_KEY`` new, the old one in ``LIFECERT_OLD_INDEX_KEYS``) never makes a person
unfindable — a roster re-import would otherwise create them a second time. ``flask reindex``
then moves row after row with :func:`reindex_retiree`; a row the import touches is moved at once.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from storage.models import Retiree
from storage.personal_data import FieldCipher

ID_CONTEXT = b"id_number"
PHONE_CONTEXT = b"phone"


def id_number_matches(cipher: FieldCipher, number: str) -> ColumnElement[bool]:
    """A WHERE clause for "this normalised ID number", under the current or a retired index key."""
    return Retiree.id_number_index.in_(cipher.blind_indexes(number, ID_CONTEXT))


def find_retiree_by_id_number(session: Session, cipher: FieldCipher, number: str) -> Retiree | None:
    return session.scalars(select(Retiree).where(id_number_matches(cipher, number)).limit(1)).first()


def reindex_retiree(cipher: FieldCipher, retiree: Retiree) -> bool:
    """Give ``retiree`` its index under the current key and rebind its ciphertexts to it.

    The ID and phone ciphertexts carry the index in their authenticated data, so they are
    decrypted against the old index and encrypted again against the new one (under the current
    data key). Returns False when the row is already current.
    """
    old_index = retiree.id_number_index
    # (FieldCipher.decrypt also reads values written before they were bound to their row)
    number = cipher.decrypt(retiree.id_number_enc, ID_CONTEXT, row=old_index)
    new_index = cipher.blind_index(number, ID_CONTEXT)
    if new_index == old_index:
        return False
    phone = cipher.decrypt(retiree.phone_enc, PHONE_CONTEXT, row=old_index) if retiree.phone_enc else None
    retiree.id_number_index = new_index
    retiree.id_number_enc = cipher.encrypt(number, ID_CONTEXT, row=new_index)
    if phone is not None:
        retiree.phone_enc = cipher.encrypt(phone, PHONE_CONTEXT, row=new_index)
    return True
