"""What scanning a family QR code does: the ``bind:<token>`` scene handler for the bot."""

from __future__ import annotations

from bot.scenes import SceneRejected, on_scene
from certification.names import mask_name, plain_name
from flows import FlowError, clock
from flows import people as people_flow
from flows.outbox import enqueue_template
from storage.models import Binding, BindingKind
from wording import zh
from wording.zh import refusal_text, shared_person_added


@on_scene(people_flow.SCENE_PREFIX)
def bind_family(services, openid: str, token: str) -> str:
    """Make the scanner a family proxy, tell the retiree's own account, and answer the scanner."""
    from sqlalchemy import select

    try:
        with services.db.session() as db:
            user = people_flow.user_for_openid(db, oa_openid=openid)
            retiree = people_flow.redeem_binding_token(db, user, token)
            name, retiree_id = retiree.name, retiree.id
            own = db.execute(select(Binding.wechat_user_id).where(
                Binding.retiree_id == retiree.id, Binding.kind == BindingKind.self_,
                Binding.revoked_at.is_(None))).scalar()
            own_openid = db.get(type(user), own).oa_openid if own else None
    except FlowError as exc:
        raise SceneRejected(refusal_text(exc.code)) from exc
    if own_openid and own_openid != openid:
        enqueue_template(services, own_openid, "family_bound",
                         {"name": mask_name(name) or zh.NAME_FALLBACK, "family": zh.FAMILY_MEMBER, "at": clock.local_now()},
                         retiree_id=retiree_id, dedupe_key=f"family-bound:{retiree_id}:{openid}")
    return zh.FAMILY_BOUND_REPLY.format(name=plain_name(name))


@on_scene(people_flow.SHARE_PREFIX)
def add_shared_person(services, openid: str, token: str) -> str:
    """The person's own consent QR, scanned with the shared phone: add them to this phone."""
    try:
        with services.db.session() as db:
            user = people_flow.user_for_openid(db, oa_openid=openid)
            name = people_flow.redeem_share_token(db, user, token).name
    except FlowError as exc:
        raise SceneRejected(refusal_text(exc.code)) from exc
    return shared_person_added(name)


__all__ = ["add_shared_person", "bind_family"]
