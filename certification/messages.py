"""Short, kind Simplified Chinese text for every code the core returns, for the edge to show.

The core speaks in codes so that wording can change (or be reviewed by the
agency) without touching rules or tests. Dates and names are added by the edge;
these texts take no parameters. Many readers are elderly or their children in a
hurry: say what happened and what to do next, in one or two short sentences.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]

MESSAGES: dict[str, str] = {
    # ID numbers (certification.idnumber.IdNumberProblem)
    "empty": "请输入身份证号码。",
    "wrong_length": "身份证号码应为18位，请核对后重新输入。",
    "legacy_15_digit": "这是旧的15位身份证号码，请输入您现在使用的18位身份证号码。",
    "bad_characters": "身份证号码只能是数字，最后一位可以是X，请核对后重新输入。",
    "bad_check_digit": "身份证号码有误，请对照身份证逐位核对。",
    "bad_birth_date": "身份证号码中的出生日期（第7到14位）不正确，请核对。",
    "bad_region": "身份证号码的前6位不正确，请核对。",
    # Mobile numbers (certification.phone)
    "bad_phone": "请输入正确的11位手机号码。",
    # Cycle status (certification.cycle.StatusCode)
    "certified": "已完成认证，感谢配合。",
    "due": "待认证，请在截止日期前完成认证。",
    "overdue": "已超过认证期限，请尽快认证，以免暂停发放养老金。",
    "suspended": "养老金已暂停发放。完成认证后，次月起恢复发放，并补发暂停期间的养老金。",
    "in_person_required": "暂停发放时间较长，需要本人携带身份证到社保经办机构办理认证。",
    "stopped": "待遇已停止发放，无需认证。如有疑问，请联系当地社保经办机构。",
    # Binding decisions (certification.binding.Reason)
    "ok": "可以办理。",
    "not_bound": "您还没有绑定这位人员，请先绑定再认证。",
    "binding_revoked": "您与这位人员的绑定已解除，如需帮助认证，请重新绑定。",
    "retiree_stopped": "这位人员的待遇已停止发放，无需认证。如有疑问，请联系当地社保经办机构。",
    "already_bound": "您已经绑定过这位人员，无需重复绑定。",
    "family_limit_reached": "您帮助认证的亲属人数已达上限，请先解除不再需要的绑定。",
    "self_taken": "这位人员已由本人微信绑定。如不是本人操作，请联系社保经办机构。",
    "already_self": "您的微信已绑定为本人，不能再以本人身份绑定其他人员，可以选择以亲属身份绑定。",
}
