"""Table tests for who may certify whom and who may bind whom."""

from __future__ import annotations

from datetime import date

import pytest

from certification.binding import Binding, BindingKind, BindingRules, Decision, Reason, may_bind, may_certify
from certification.cycle import HARBIN, SHIJIAZHUANG, RetireeState

TODAY = date(2026, 3, 1)
ACTIVE = RetireeState(date(1955, 3, 12), "active", None, date(2025, 6, 1), "face")
SUSPENDED_RECENTLY = RetireeState(date(1955, 3, 12), "suspended", date(2026, 1, 1), date(2024, 6, 1), "face")
SUSPENDED_LONG = RetireeState(date(1955, 3, 12), "suspended", date(2024, 1, 1), date(2022, 6, 1), "face")
STOPPED = RetireeState(date(1955, 3, 12), "stopped", None, date(2025, 6, 1), "face")

ME, OTHER = "openid-me", "openid-other"


@pytest.mark.parametrize(
    ("bindings", "state", "policy", "reason"),
    [
        ([Binding(ME, "r1", "self")], ACTIVE, HARBIN, Reason.OK),
        ([Binding(ME, "r1", "family")], ACTIVE, HARBIN, Reason.OK),
        ([Binding(ME, "r1", "staff")], ACTIVE, HARBIN, Reason.OK),
        ([Binding(ME, "r1", "family")], SUSPENDED_RECENTLY, HARBIN, Reason.OK),  # a pass resumes payment
        ([], ACTIVE, HARBIN, Reason.NOT_BOUND),
        ([Binding(OTHER, "r1", "family"), Binding(ME, "r2", "family")], ACTIVE, HARBIN, Reason.NOT_BOUND),
        ([Binding(ME, "r1", "family", revoked=True)], ACTIVE, HARBIN, Reason.BINDING_REVOKED),
        ([Binding(ME, "r1", "family", revoked=True), Binding(ME, "r1", "family")], ACTIVE, HARBIN, Reason.OK),  # re-bound
        ([Binding(ME, "r1", "family")], STOPPED, HARBIN, Reason.RETIREE_STOPPED),
        ([Binding(ME, "r1", "self")], STOPPED, HARBIN, Reason.RETIREE_STOPPED),
        ([Binding(ME, "r1", "family")], SUSPENDED_LONG, HARBIN, Reason.IN_PERSON_REQUIRED),  # 27 months
        ([Binding(ME, "r1", "staff")], SUSPENDED_LONG, HARBIN, Reason.IN_PERSON_REQUIRED),
        ([Binding(ME, "r1", "family")], SUSPENDED_LONG, SHIJIAZHUANG, Reason.OK),  # no in-person limit set
        # A stranger learns nothing about whether the retiree is stopped.
        ([], STOPPED, HARBIN, Reason.NOT_BOUND),
        ([Binding(ME, "r1", "family", revoked=True)], STOPPED, HARBIN, Reason.BINDING_REVOKED),
    ],
)
def test_may_certify(bindings, state, policy, reason):
    decision = may_certify(ME, "r1", bindings, state, policy, TODAY)
    assert decision == Decision(reason is Reason.OK, reason)


def test_in_person_limit_edge_decides_online_certification():
    # Suspended 2024-01-01: the 24th month is Dec 2025, the 25th Jan 2026.
    b = [Binding(ME, "r1", "family")]
    assert may_certify(ME, "r1", b, SUSPENDED_LONG, HARBIN, date(2025, 12, 31)).allowed is True
    assert may_certify(ME, "r1", b, SUSPENDED_LONG, HARBIN, date(2026, 1, 1)).reason is Reason.IN_PERSON_REQUIRED


def family_of(user: str, n: int, revoked: bool = False) -> list[Binding]:
    return [Binding(user, f"p{i}", BindingKind.FAMILY, revoked) for i in range(n)]


@pytest.mark.parametrize(
    ("kind", "bindings", "limit", "reason"),
    [
        ("family", [], 10, Reason.OK),
        ("family", family_of(ME, 9), 10, Reason.OK),
        ("family", family_of(ME, 10), 10, Reason.FAMILY_LIMIT_REACHED),
        ("family", family_of(ME, 10, revoked=True), 10, Reason.OK),  # revoked ones free a place
        ("family", family_of(ME, 2), 3, Reason.OK),
        ("family", family_of(ME, 3), 3, Reason.FAMILY_LIMIT_REACHED),  # the limit is a setting
        ("family", family_of(OTHER, 10), 10, Reason.OK),  # someone else's proxies do not count
        ("family", [Binding(ME, "p0", "staff"), *family_of(ME, 9)[1:]], 9, Reason.OK),  # staff is not family
        ("staff", family_of(ME, 10), 10, Reason.OK),  # staff are not limited
        ("self", family_of(ME, 10), 10, Reason.OK),
        ("family", [Binding(ME, "r1", "family")], 10, Reason.ALREADY_BOUND),
        ("staff", [Binding(ME, "r1", "family")], 10, Reason.ALREADY_BOUND),  # revoke first to change kind
        ("family", [Binding(ME, "r1", "family", revoked=True)], 10, Reason.OK),
        ("self", [Binding(OTHER, "r1", "self")], 10, Reason.SELF_TAKEN),
        ("self", [Binding(OTHER, "r1", "self", revoked=True)], 10, Reason.OK),
        ("self", [Binding(ME, "r9", "self")], 10, Reason.ALREADY_SELF),
        ("family", [Binding(OTHER, "r1", "self")], 10, Reason.OK),  # family alongside the retiree's own account
    ],
)
def test_may_bind(kind, bindings, limit, reason):
    decision = may_bind(ME, "r1", BindingKind(kind), bindings, BindingRules(family_limit=limit))
    assert decision == Decision(reason is Reason.OK, reason)


@pytest.mark.parametrize("limit", [0, -1, True, "10"])
def test_bad_family_limit_is_refused(limit):
    with pytest.raises(ValueError):
        BindingRules(family_limit=limit)


def test_unknown_binding_kind_is_refused():
    with pytest.raises(ValueError):
        Binding(ME, "r1", "neighbour")
