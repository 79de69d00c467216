"""Plain Chinese for every code a user can meet: short, kind, and saying what to do next.

The core speaks in codes (vision reasons, advice keys, flow refusals); this is
the one table that turns them into words, shared by the pages and the bot.
"""

from __future__ import annotations

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


# --- journeys-agency ---
# Home visits, death reports, a second person on the same phone (web/pages.py, bot/replies.py).

VISIT_TIMES: dict[str, str] = {
    "weekday_morning": "工作日上午",
    "weekday_afternoon": "工作日下午",
    "weekend": "周末",
    "any": "什么时间都可以",
}
RELATIONS: dict[str, str] = {
    "child": "子女",
    "spouse": "配偶",
    "sibling": "兄弟姐妹",
    "grandchild": "孙子女",
    "other_relative": "其他亲属",
    "neighbour_or_staff": "邻居或社区工作人员",
}
REQUEST_STATUS: dict[str, str] = {
    "open": "已收到，工作人员会打电话和您约时间",
    "scheduled": "已安排",
    "done": "已完成",
    "cancelled": "已取消",
    "confirmed": "已核实",
    "rejected": "核实后不属实",
}
REFUSALS.update({
    "bad_phone": "请输入正确的11位手机号码",
    "bad_times": "请选择方便的时间",
    "bad_death_date": "去世日期不对，请核对（不能晚于今天）",
    "bad_relation": "请选择您和老人的关系",
    "certificate_type": "照片格式不支持，请拍照上传（JPG 或 PNG）",
    "certificate_size": "照片太大，请重新拍一张",
    "no_person": "请选择老人",
})
HOME_VISIT_CHAT = ("老人行动不便、不能在手机上认证的，可以预约工作人员上门认证。\n"
                   "填写联系电话和方便的时间，工作人员会打电话和您约时间。")
HOME_VISIT_LINK = "点这里预约上门认证"
DEATH_REPORT_CHAT = ("请节哀。家里老人去世了，请告诉我们去世日期，养老金从下个月起停发，"
                     "工作人员核实后会联系您。")
DEATH_REPORT_LINK = "点这里报告老人去世"
HOME_VISIT_FILED = "已收到您的上门认证预约，工作人员会打电话和您约时间。"
DEATH_REPORT_FILED = "已收到。工作人员核实后会联系您。请节哀。"
SHARED_PHONE_ADDED = "已添加 {name}。现在这部手机也可以为 {name} 认证了：点菜单“在线服务 → 资格认证”，请 {name} 本人对着镜头拍摄。"


def shared_person_added(name: str) -> str:
    return SHARED_PHONE_ADDED.format(name=name)


def visit_times_text(keys: Iterable[str]) -> str:
    return "、".join(VISIT_TIMES[k] for k in keys if k in VISIT_TIMES)

# Console users page (console/views/users.py); flows.staff error codes.
STAFF_ERRORS: dict[str, str] = {
    "bad_username": "账号只能用3到64位英文字母、数字、点、横线或下划线",
    "username_taken": "这个账号已经有人用了",
    "weak_password": "密码至少10位",
    "bad_role": "请选择角色",
    "bad_region": "区域不对，请刷新页面后再选",
    "not_found": "没有找到这个账号",
    "self_demote": "不能取消自己的管理员角色",
    "self_disable": "不能停用自己的账号",
}

# WeChat API error codes, as agency staff should read them (console: campaign results, notices).
WECHAT_ERRORS: dict[int, str] = {
    -1: "微信系统繁忙，稍后会自动重试",
    40001: "公众号密钥不对或已更换，请联系技术人员",
    40003: "这个微信用户不存在（可能换了微信号）",
    40013: "公众号 AppID 配置不对，请联系技术人员",
    40037: "消息模板不存在或已删除，请联系技术人员",
    41028: "消息缺少必要内容，请联系技术人员",
    42001: "访问凭证过期，系统会自动更新后重试",
    43004: "对方已取消关注公众号，收不到消息，请电话通知",
    43101: "对方拒绝接收消息，请电话通知",
    45009: "今天的微信接口调用次数已用完，明天继续",
    45015: "对方超过48小时没有和公众号互动，不能发客服消息",
    45047: "客服消息发送太多，暂时不能再发",
    47003: "消息内容不符合模板要求，请联系技术人员",
    48001: "公众号没有这个接口权限，请联系技术人员",
}


def wechat_error_text(code, errmsg: str | None = None) -> str:
    """A WeChat errcode in words staff understand; never the raw "require subscribe rid: …" text."""
    try:
        return WECHAT_ERRORS.get(int(code), "微信没有送达，原因未知，请电话通知")
    except (TypeError, ValueError):
        return "微信没有送达，原因未知，请电话通知"
