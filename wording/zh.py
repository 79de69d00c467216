"""Plain Chinese for every code a user can meet: short, kind, and saying what to do next.

The core speaks in codes (vision reasons, advice keys, flow refusals); this is
the one table that turns them into words, shared by the pages and the bot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

# Why a face check did not pass (vision reason keys).
REASONS: dict[str, str] = {
    "no_face": "没有拍到脸",
    "several_faces": "画面里有好几个人",
    "face_too_small": "脸离镜头太远",
    "too_dark": "光线太暗",
    "too_blurred": "画面太模糊",
    "face_left_frame": "脸移出了画面",
    "action_missing": "没有做完提示的动作",
    "actions_out_of_order": "动作顺序不对",
    "spoof_suspected": "疑似不是本人现场拍摄",
    "not_same_person": "和登记的照片不像同一个人",
    "video_unusable": "视频无法识别",
    "video_reused": "这段视频已经用过了",
    "model_unavailable": "系统正忙，转人工审核",
    "repeated_failures": "多次没有通过，已转人工审核",
}

# What to do about it (vision advice keys).
ADVICE: dict[str, str] = {
    "more_light": "请到光线明亮的地方",
    "remove_glasses_hat": "请摘下帽子和眼镜",
    "face_in_frame": "请把脸放在框内，离手机近一点",
    "one_person": "拍摄时请只留本人在画面中",
    "hold_still": "请把手机拿稳",
    "follow_prompts_in_order": "请听提示，一个一个做动作",
    "slower": "动作慢一点、做到位",
    "try_again": "请再试一次",
    "go_offline": "可到社区服务点办理，或预约上门认证",
    "wait_for_review": "工作人员会尽快审核，结果会通知您",
}

# How a certification was done (storage.models.CertificationMethod values).
METHODS: dict[str, str] = {
    "face": "刷脸认证",
    "on_site": "现场认证",
    "home_visit": "上门认证",
    "data_comparison": "数据比对",
    "by_mail": "邮寄认证",
    "manual_review": "人工审核",
}

# Why a request was refused before any face check (flows.FlowError codes).
REFUSALS: dict[str, str] = {
    "too_many_today": "今天认证次数已用完，请明天再试，或到社区服务点办理",
    "already_running": "上一次认证还在处理中，请稍等",
    "under_review": "您的认证正在人工审核，请耐心等待结果",
    "challenge_unknown": "认证已失效，请重新开始",
    "challenge_expired": "时间过长已失效，请重新开始",
    "challenge_used": "这次认证已经提交过了",
    "attempt_unknown": "没有找到这次认证，请重新开始",
    "video_type": "视频格式不支持，请用微信重新录制",
    "video_too_large": "视频太大，请录制 10 秒以内",
    "video_unusable": "视频无法识别，请重新录制",
    "store_unavailable": "网络繁忙，视频没有传上来，请稍后再试",
    "not_bound": "您还没有绑定这位老人",
    "no_consent": "请先阅读并同意人脸信息使用说明",
    "stopped": "这位老人的待遇已停发，不能在线认证，请联系社保经办机构",
    "in_person_required": "暂停发放已超过两年，请本人到社保经办机构现场认证",
    "not_found": "没有查到您的信息，请核对姓名和身份证号",
    "too_many_family": "一个微信最多可为 10 位老人代认证",
    "token_invalid": "二维码已失效，请让老人重新出示二维码",
    "rate_limited": "尝试次数太多，请稍后再试",
}


def reason_text(codes: Iterable[str]) -> str:
    words = [REASONS[c] for c in codes if c in REASONS]
    return "；".join(dict.fromkeys(words)) or "没有通过"


def advice_text(codes: Iterable[str]) -> str:
    words = [ADVICE[c] for c in codes if c in ADVICE]
    return "；".join(dict.fromkeys(words))


def refusal_text(code: str) -> str:
    return REFUSALS.get(code, "出了点问题，请稍后再试")


# --- journeys-user ---
# Dates as the user reads them; the caller hands in local (agency-zone) values.


def zh_date(value) -> str:
    """2027年1月1日 (a date, a datetime, or an ISO date string; empty for None)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.year}年{value.month}月{value.day}日"


def zh_datetime(value) -> str:
    """2027年1月1日 00:30 (a local datetime)."""
    if not value:
        return ""
    return f"{zh_date(value)} {value:%H:%M}"


# One status per person (flows.people.PersonView.status, plus "review" while an attempt is with staff).
def status_line(code: str, due_by=None, valid_until=None, back_pay_months: int = 0) -> str:
    """The one line a person card, 认证记录 and the bot's 查询 say about where someone stands."""
    if code == "review":
        return "审核中（预计3个工作日内有结果）"
    if code == "certified":
        return f"已认证（有效至{zh_date(valid_until)}）" if valid_until else "已认证"
    if code == "due":
        return f"待认证（截止{zh_date(due_by)}）" if due_by else "待认证"
    if code == "overdue":
        return f"已逾期（请尽快认证，截止{zh_date(due_by)}）" if due_by else "已逾期（请尽快认证）"
    if code == "suspended":
        months = f"，补发{back_pay_months}个月" if back_pay_months else ""
        return f"已暂停（完成认证后下月恢复{months}）"
    if code == "in_person_required":
        return "已暂停（请本人带身份证到社保窗口认证）"
    if code == "stopped":
        return "已停发（有疑问请打电话给社保）"
    return "待认证"


# Who did a certification (shown beside each line of 认证记录).
CERTIFIED_BY: dict[str, str] = {
    "self": "本人",
    "family": "家属",
    "staff": "工作人员",
    "data": "数据比对",
}

# A failed check, in one short sentence and one action (each fits a 20-character template field).
# Quality problems come first: an honest user in a dark room is told about the light, not accused.
FAILURE_ORDER: tuple[str, ...] = (
    "video_unusable", "video_reused", "several_faces", "no_face", "too_dark", "face_too_small", "too_blurred",
    "face_left_frame", "action_missing", "actions_out_of_order", "spoof_suspected", "not_same_person",
)
FAILURE: dict[str, tuple[str, str]] = {
    "video_unusable": ("视频没有录好", "请重新录一次"),
    "video_reused": ("这段视频以前用过", "请重新录一段新的"),
    "several_faces": ("画面里不止一个人", "请只留本人在画面里再试"),
    "no_face": ("没有拍到脸", "请把脸放进框里再试一次"),
    "too_dark": ("光线太暗，看不清脸", "请到亮一点的地方再试一次"),
    "face_too_small": ("脸离手机太远", "请把手机拿近一点再试一次"),
    "too_blurred": ("画面有点模糊", "请把手机拿稳再试一次"),
    "face_left_frame": ("脸移出了框", "请让脸一直在框里再试一次"),
    "action_missing": ("有个动作没看清", "请跟着提示慢慢做再试一次"),
    "actions_out_of_order": ("动作顺序不对", "请听提示一个一个做再试"),
    # weak evidence (e.g. too little head movement): say what to do, accuse nobody
    "spoof_suspected": ("转头的幅度不够", "请慢慢把头转到位再试一次"),
    "not_same_person": ("和登记的照片对不上", "请本人对着手机重新录制"),
}
# Strong evidence (a model is confident): still no blame, only "the person themself, again".
FAILURE_STRONG: dict[str, tuple[str, str]] = {
    "spoof_suspected": ("没能确认是本人在拍", "请本人对着手机重新录制"),
    "not_same_person": ("和登记的照片对不上", "请本人对着手机重新录制"),
}
FAILURE_DEFAULT = ("这次没有认证成功", "请再试一次")
# At most one secondary tip, from the advice codes (never repeating the main action).
FAILURE_TIPS: dict[str, str] = {
    "remove_glasses_hat": "摘下帽子和眼镜更容易通过",
    "more_light": "白天靠窗的地方光线最好",
    "hold_still": "可以请家人帮忙拿稳手机",
}
FAILURE_TIP_OFFLINE = "也可以打电话给社保，或预约上门认证"
REVIEW_WORDS = ("需要工作人员再看一下", "3个工作日内通知您结果")
REVIEW_REPEATED_WORDS = ("多次没有通过，转人工审核", "3个工作日内通知您结果")
PASSED_WORDS = ("本年度认证已完成", "无需再操作")

RESULT_HEADLINES: dict[str, str] = {
    "passed": "认证通过",
    "failed": "这次没有通过",
    "rejected": "这次没有通过",
    "review": "已转人工审核",
    "error": "系统出了点问题",
}
RESULT_BUTTONS: dict[str, str] = {
    "retry": "再试一次",
    "call": "打电话给社保",
    "home_visit": "预约上门",
    "back": "返回首页",
}
FAMILY_CERTIFIED_STEP = "家属已帮您完成认证"


def failure_words(reasons, advice=(), strong: bool = False) -> tuple[str, str, str]:
    """(main reason, the one action, at most one tip — possibly empty) for a failed check."""
    reasons = list(reasons or ())
    main = next((code for code in FAILURE_ORDER if code in reasons), None)
    if main is None:
        reason, action = FAILURE_DEFAULT
    else:
        reason, action = (FAILURE_STRONG if strong else FAILURE).get(main, FAILURE[main])
    if strong and main in FAILURE_STRONG:
        return reason, action, FAILURE_TIP_OFFLINE
    skip = {"too_dark": "more_light", "too_blurred": "hold_still"}.get(main or "")
    tip = next((FAILURE_TIPS[a] for a in (advice or ()) if a in FAILURE_TIPS and a != skip), "")
    return reason, action, tip

# The camera was refused: how to allow it in WeChat, and the ways without a camera.
CAMERA_HELP: dict[str, str] = {
    "title": "需要打开摄像头",
    "lead": "认证要用手机摄像头录几秒钟视频。刚才摄像头没有打开。",
    "how_title": "在微信里打开摄像头：",
    "step1": "点右上角的“…”，选“设置”，把“摄像头”打开；",
    "step2": "苹果手机：打开手机“设置”→“微信”→把“相机”打开；",
    "step3": "安卓手机：打开手机“设置”→“应用”→“微信”→“权限”→允许“相机”；",
    "step4": "回到这里，点“再试一次”。",
    "offline_title": "不用摄像头也能认证：",
    "offline": "打电话给社保，或预约工作人员上门，也可以带身份证到社区服务站办理。",
}

# Error pages (H5 and console) and JSON errors for /api/: what happened and what to do.
ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: ("请求有误", "页面可能已过期，请返回后重新操作。"),
    401: ("请重新进入", "请从微信菜单重新打开这个页面。"),
    403: ("没有权限", "您不能打开这个页面。如需帮助，请打电话给社保。"),
    404: ("没有找到这个页面", "链接可能已失效，请返回首页重新进入。"),
    405: ("请求有误", "请返回首页重新操作。"),
    413: ("文件太大", "请换一个小一点的文件再试。"),
    429: ("请稍后再试", "操作太频繁了，请过几分钟再试。"),
    500: ("系统出了点问题", "不是您的错。请稍后再试，或打电话给社保。"),
}
