import datetime as dt

import pytest
from sqlalchemy import select

from flows import FlowError, people
from storage.models import Binding, WeChatUser

TODAY = dt.date(2026, 11, 22)


def test_link_self_by_name_and_id(world):
    uid = world.add_user("o_new")
    with world.services.db.session() as s:
        user = s.get(WeChatUser, uid)
        # a different person's record is not revealed, and a wrong name is just "not found"
        with pytest.raises(FlowError) as exc:
            people.link_self(s, world.cipher, user, "张桂芬", world.zhang_id_number, TODAY)
        assert exc.value.code == "not_found"
    with world.services.db.session() as s:
        with pytest.raises(FlowError) as exc:
            people.link_self(s, world.cipher, s.get(WeChatUser, uid), "张桂兰", world.zhang_id_number[:-1] + "0", TODAY)
        assert exc.value.code in ("bad_check_digit", "not_found")
    with world.services.db.session() as s:
        # 张桂兰 already has her own WeChat bound as self: a second "self" is refused
        with pytest.raises(FlowError) as exc:
            people.link_self(s, world.cipher, s.get(WeChatUser, uid), "张桂兰", world.zhang_id_number, TODAY)
        assert exc.value.code == "self_taken"


def test_family_qr_token_binds_once_and_expires(world):
    now = dt.datetime(2026, 11, 22, 9, tzinfo=dt.timezone.utc)
    with world.services.db.session() as s:
        token = people.new_binding_token(s, world.retiree_id, now=now)
    assert world.zhang_id_number not in token and len(f"bind:{token}") <= 64
    with world.services.db.session() as s:
        son = s.get(WeChatUser, world.family_user_id)
        retiree = people.redeem_binding_token(s, son, token, now=now)
        assert retiree.id == world.retiree_id
    with world.services.db.session() as s:
        other = s.get(WeChatUser, world.add_user("o_other"))
        with pytest.raises(FlowError) as exc:  # single use
            people.redeem_binding_token(s, other, token, now=now)
        assert exc.value.code == "token_invalid"
    with world.services.db.session() as s:
        late = people.new_binding_token(s, world.retiree_id, now=now)
    with world.services.db.session() as s:
        with pytest.raises(FlowError):
            people.redeem_binding_token(s, s.get(WeChatUser, world.family_user_id), late,
                                        now=now + dt.timedelta(days=8))
    with world.services.db.session() as s:
        kinds = s.scalars(select(Binding.kind).where(Binding.retiree_id == world.retiree_id)).all()
        assert sorted(k.value for k in kinds) == ["family", "self"]


def test_a_proxy_sees_a_list_with_statuses_and_either_side_can_revoke(world):
    world.bind(world.family_user_id, world.retiree_id)
    bid = world.bind(world.family_user_id, world.suspended_id)
    with world.services.db.session() as s:
        listed = people.people_of(s, s.get(WeChatUser, world.family_user_id), TODAY)
    assert {(p.name, p.status) for p in listed} == {("张桂兰", "due"), ("王建国", "suspended")}
    with world.services.db.session() as s:
        stranger = s.get(WeChatUser, world.add_user("o_stranger"))
        with pytest.raises(FlowError):
            people.revoke_binding(s, bid, stranger)
    with world.services.db.session() as s:
        family_binding = s.scalar(select(Binding).where(Binding.wechat_user_id == world.family_user_id,
                                                        Binding.retiree_id == world.retiree_id))
        row = people.revoke_binding(s, family_binding.id, s.get(WeChatUser, world.self_user_id))
        assert row.revoked_by == "retiree"
    with world.services.db.session() as s:
        listed = people.people_of(s, s.get(WeChatUser, world.family_user_id), TODAY)
    assert [p.name for p in listed] == ["王建国"]


def test_may_certify_needs_a_live_binding(world):
    with world.services.db.session() as s:
        with pytest.raises(FlowError) as exc:
            people.check_may_certify(s, world.family_user_id, world.retiree_id, TODAY)
        assert exc.value.code == "not_bound"
        assert people.check_may_certify(s, world.self_user_id, world.retiree_id, TODAY).name == "张桂兰"


def test_an_unknown_qr_token_is_refused_kindly_not_a_crash(world):
    """A forged or mistyped bind:<token> scene: a FlowError the bot words as "expired", never a traceback."""
    with world.services.db.session() as s:
        son = s.get(WeChatUser, world.family_user_id)
        with pytest.raises(FlowError) as exc:
            people.redeem_binding_token(s, son, "no-such-token")
        assert exc.value.code == "token_invalid"
