"""Who may certify whom: rules over WeChat-user-to-retiree bindings.

A certification unlocks a pension payment, so the question "may this WeChat
user certify this retiree now?" must have one answer, with a reason the edge
can show. Bindings are the retiree themself (``self``), a family member acting
as proxy (``family``) or agency/community staff (``staff``).

Every answer is a :class:`Decision` with a machine-readable :class:`Reason`;
the Chinese wording lives in :mod:`wording.zh`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from certification.cycle import CyclePolicy, RetireeState, requires_in_person

__all__ = ["Binding", "BindingKind", "BindingRules", "Decision", "Reason", "may_bind", "may_certify"]


class BindingKind(StrEnum):
    SELF = "self"
    FAMILY = "family"
    STAFF = "staff"


class Reason(StrEnum):
    """Why a binding or certification is allowed or refused. Values are stable keys."""

    OK = "ok"
    NOT_BOUND = "not_bound"
    BINDING_REVOKED = "binding_revoked"
    RETIREE_STOPPED = "retiree_stopped"
    IN_PERSON_REQUIRED = "in_person_required"
    ALREADY_BOUND = "already_bound"
    FAMILY_LIMIT_REACHED = "family_limit_reached"
    SELF_TAKEN = "self_taken"
    ALREADY_SELF = "already_self"


@dataclass(frozen=True)
class Binding:
    """One link between a WeChat user (their openid) and a retiree (any hashable key)."""

    wechat_user: str
    retiree: Hashable
    kind: BindingKind
    revoked: bool = False

    def __post_init__(self) -> None:
        # Accept the stored string ("family") and refuse unknown kinds early.
        object.__setattr__(self, "kind", BindingKind(self.kind))


@dataclass(frozen=True)
class BindingRules:
    """Per-agency binding settings.

    ``family_limit`` caps how many retirees one WeChat user may hold as family
    proxy: a real family rarely exceeds a handful, and an account proxying
    dozens of pensioners is the pattern of someone collecting the pensions of
    the dead. Lowering it does not revoke existing bindings; it only stops new ones.
    """

    family_limit: int = 10

    def __post_init__(self) -> None:
        if isinstance(self.family_limit, bool) or not isinstance(self.family_limit, int) or self.family_limit < 1:
            raise ValueError("family_limit must be a positive int")


@dataclass(frozen=True)
class Decision:
    """The answer: ``allowed`` and why. ``reason`` is :attr:`Reason.OK` exactly when allowed."""

    allowed: bool
    reason: Reason

    @classmethod
    def allow(cls) -> Decision:
        return cls(True, Reason.OK)

    @classmethod
    def refuse(cls, reason: Reason) -> Decision:
        return cls(False, reason)


def may_certify(
    wechat_user: str,
    retiree: Hashable,
    bindings: Iterable[Binding],
    state: RetireeState,
    policy: CyclePolicy,
    today: date,
) -> Decision:
    """Whether ``wechat_user`` may certify ``retiree`` online today.

    Needs an active (not revoked) binding of any kind between the two. The
    binding is checked first, on purpose: whether a retiree is stopped
    (often: deceased) must not be revealed to a stranger. Then a stopped
    retiree cannot be certified at all, and one suspended past the policy's
    in-person limit cannot be certified online. Certifying again within a
    cycle is allowed; it is harmless and keeps the latest proof of life fresh.

    ``bindings`` may hold unrelated bindings; only this user's for this retiree count.
    """
    mine = [b for b in bindings if b.wechat_user == wechat_user and b.retiree == retiree]
    if not mine:
        return Decision.refuse(Reason.NOT_BOUND)
    if all(b.revoked for b in mine):
        return Decision.refuse(Reason.BINDING_REVOKED)
    if state.status == "stopped":
        return Decision.refuse(Reason.RETIREE_STOPPED)
    if requires_in_person(state, policy, today):
        return Decision.refuse(Reason.IN_PERSON_REQUIRED)
    return Decision.allow()


def may_bind(
    wechat_user: str,
    retiree: Hashable,
    kind: BindingKind,
    bindings: Iterable[Binding],
    rules: BindingRules,
) -> Decision:
    """Whether ``wechat_user`` may add a ``kind`` binding to ``retiree``.

    ``bindings`` must include every binding of this user and of this retiree
    (others are ignored); revoked ones never count. Refused when the pair is
    already actively bound (revoke first to change the kind); for ``self``
    when the retiree already has a self binding or the user is already
    someone's self (one person, one WeChat identity); for ``family`` when the
    user holds ``rules.family_limit`` family bindings. Staff are not limited.
    """
    active = [b for b in bindings if not b.revoked and (b.wechat_user == wechat_user or b.retiree == retiree)]
    if any(b.wechat_user == wechat_user and b.retiree == retiree for b in active):
        return Decision.refuse(Reason.ALREADY_BOUND)
    if kind == BindingKind.SELF:
        if any(b.retiree == retiree and b.kind == BindingKind.SELF for b in active):
            return Decision.refuse(Reason.SELF_TAKEN)
        if any(b.wechat_user == wechat_user and b.kind == BindingKind.SELF for b in active):
            return Decision.refuse(Reason.ALREADY_SELF)
    if kind == BindingKind.FAMILY:
        proxied = {b.retiree for b in active if b.wechat_user == wechat_user and b.kind == BindingKind.FAMILY}
        if len(proxied) >= rules.family_limit:
            return Decision.refuse(Reason.FAMILY_LIMIT_REACHED)
    return Decision.allow()
