"""Plain Chinese for every code a user can meet: short, kind, and saying what to do next.

The core speaks in codes (vision reasons, advice keys, flow refusals); this is
the one table that turns them into words, shared by the pages and the bot.

Texts with ``{name}`` slots are filled with ``str.format`` by the caller; dates are
worded by :func:`date_text` only.
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
    "match_uncertain": "照片比对不确定，转人工审核",
    "no_template": "还没有登记照片，转人工审核",
    "repeated_failures": "多次没有通过，已转人工审核",
}

# What to do about it (vision advice keys).
ADVICE: dict[str, str] = {
    "more_light": "请到光线明亮的地方",
    "remove_glasses_hat": "请摘下帽子和眼镜",
    "face_in_frame": "请把脸放在框内，离手机近一点",
    "move_closer": "请离手机近一点",
    "alone_in_frame": "拍摄时请只留本人在画面中",
    "hold_phone_steady": "请把手机拿稳",
    "follow_prompts_in_order": "请听提示，一个一个做动作",
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


# Domain codes (certification.idnumber.IdNumberProblem, certification.phone, certification.cycle.StatusCode,
# certification.binding.Reason): short sentences, no parameters.
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

UNKNOWN_FAILURE = "没有通过"
UNKNOWN_REFUSAL = "出了点问题，请稍后再试"


def date_text(value: dt.date | dt.datetime | str | None, *, with_time: bool = False) -> str:
    """The one way a date is shown: 2026年3月5日 (with_time: a datetime adds 14:30).

    An ISO string is read first; any other string is taken as already worded; nothing gives "".
    """
    if not value:
        return ""
    day: dt.date
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            try:
                day = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
    else:
        day = value
    text = f"{day.year}年{day.month}月{day.day}日"
    if with_time and isinstance(day, dt.datetime):
        text += f" {day.hour:02d}:{day.minute:02d}"
    return text


def month_text(value: dt.date) -> str:
    """2026年03月: a month, as the console's notices say it."""
    return f"{value:%Y年%m月}"


# --- status words ----------------------------------------------------------------------

# A person's standing for the retiree and family (flows.people.PersonView.status).
PERSON_STATUS: dict[str, str] = {
    "certified": "今年已认证",
    "due": "待认证",
    "overdue": "已逾期",
    "suspended": "已暂停发放",
    "in_person_required": "需本人到现场",
    "stopped": "已停发",
}

# A person's standing for agency staff (flows.standing codes).
STANDING: dict[str, str] = {
    "certified": "已认证", "due": "待认证", "overdue": "逾期未认证", "lapsed": "逾期待暂停",
    "suspended": "已暂停发放", "stopped": "已停发",
}

# Pension status (storage.models.PensionStatus), as the bot's records reply says it.
PENSION_STATUS: dict[str, str] = {"active": "正常发放", "suspended": "暂停发放（补做认证后恢复）", "stopped": "已停发"}

# Attempt status (storage.models.AttemptStatus) → (headline, detail) on the result page.
ATTEMPT_PASSED = ("认证通过", "本年度认证已完成，谢谢您！")
ATTEMPT_FAILED = "这次没有通过"
ATTEMPT_REVIEW = "已转人工审核"
ATTEMPT_REVIEW_REPEATED = "多次没有通过，工作人员会帮您审核。也可以到社区服务点办理，或预约上门认证。"
ATTEMPT_REVIEW_DETAIL = "工作人员会尽快审核，结果会通过微信通知您。"
ATTEMPT_ERROR = ("系统出了点问题", "请稍后再试一次")
ATTEMPT_RUNNING = ("正在核验，请稍候", "一般几秒钟就好")

# Console roles (storage.models.AdminRole).
ROLES: dict[str, str] = {"admin": "机构管理员", "reviewer": "审核员", "staff": "经办人员"}

# Service requests (storage.models ServiceRequest kind / status).
REQUEST_KINDS: dict[str, str] = {"home_visit": "上门认证申请", "death_report": "死亡报告"}
REQUEST_STATUS: dict[str, str] = {"open": "待处理", "scheduled": "已安排", "done": "已完成", "confirmed": "已确认",
                                  "rejected": "已驳回", "cancelled": "已取消"}
NOTE_DATA_COMPARISON = "数据比对导入"
NOTE_HOME_VISIT = "上门认证"

# Reminder campaigns: audiences, campaign status, per-person result.
CAMPAIGN_SEGMENTS: dict[str, str] = {
    "due_month": "本月应认证的人（生日月，或已到认证期）",
    "not_certified": "本周期还没有认证的人",
    "suspended": "已暂停发放的人",
}
CAMPAIGN_STATUS: dict[str, str] = {"planned": "未开始", "sending": "发送中", "paused": "已暂停", "done": "已完成",
                                   "cancelled": "已取消"}
CAMPAIGN_RESULTS: dict[str, str] = {"pending": "待发送", "queued": "排队中", "sent": "已发送", "delivered": "已送达",
                                    "failed": "失败", "paused": "额度用完，等待中", "skipped": "未发送（没有绑定微信）"}
AUTO_CAMPAIGN_DEADLINE = "自动提醒：距认证截止还有 {days} 天"
AUTO_CAMPAIGN_DUE_MONTH = "自动提醒：{month}月应认证"
AUTO_CAMPAIGNS_STARTED = "自动提醒：启动 {count} 个"

# The daily cycle run's report.
CYCLE_VERB_DRY, CYCLE_VERB_DONE = "将", "已"
CYCLE_SUMMARY = ("{agency} {day}：{verb}暂停发放 {suspended} 人（自 {since} 起），"
                 "{verb}恢复发放 {resumed} 人，通知 {notified} 条")
CYCLE_DRY_RUN = "[试运行] "
CYCLE_NOTHING = "没有可执行的周期规则"

# Payment changes export (flows.payments).
PAYMENT_ACTIONS: dict[str, str] = {"retiree.suspend": "暂停发放", "retiree.resume": "恢复发放",
                                   "retiree.stop": "停止发放"}
PAYMENT_HEADER = ["变动类型", "姓名", "社保编号", "身份证号", "所属区域", "生效日期", "补发月数", "补发月份", "记录时间"]
PAYMENT_SHEET = "待遇变动"

# Dashboard.
NO_REGION = "未分区"
CHART_REGIONS = "各区域认证情况"
CHART_FACE, CHART_OTHER = "刷脸认证", "其他方式"
CHART_MONTHLY = "每月认证人数"
CHART_MONTH = "{month}月"
CHART_PASS_RATE = "每月刷脸通过率（%）"
NO_CYCLE = ("尚未设置认证周期", "请先用 flask create-agency 设置本机构的认证周期。")

# --- review ------------------------------------------------------------------------------

REJECT_REASONS = ("和登记照片不是同一人", "不是本人现场拍摄", "画面不清楚请重新认证", "请到社区服务站现场认证")
# The vision verdict's scores a reviewer can weigh, in the order they matter, with what the number means.
SCORE_LABELS: dict[str, str] = {
    "match_distance": "人脸比对距离（越小越像；0.55以下自动通过，0.60以上不是同一人）",
    "spoof_live_score": "真人分数（0–1，越大越像真人现场拍摄）",
    "parallax": "转头时的立体感（照片翻拍接近0）",
    "missing_actions": "没有做到的动作",
    "face_fraction": "拍到脸的画面比例",
    "face_luma": "脸部亮度",
    "face_sharpness": "清晰度",
}
# Challenge actions (certification.challenge / vision.liveness.ACTIONS).
ACTIONS: dict[str, str] = {"blink": "眨眼", "turn_left": "向左转头", "turn_right": "向右转头", "open_mouth": "张嘴",
                           "nod": "点头"}
LIST_SEP = "、"
NONE_WORD = "无"

# --- console ------------------------------------------------------------------------------

# Refusals of the agency side (flows.channels.ChannelError, flows.review.ReviewError codes).
CONSOLE_ERRORS: dict[str, str] = {
    "already_decided": "这条认证已经被处理过了",
    "stopped": "该人员已停发待遇，不能认证",
    "not_found": "没有找到，或不在您负责的区域",
    "reason_required": "请填写驳回原因",
    "bad_method": "认证方式不对",
    "future_date": "认证日期不能晚于今天",
    "bad_state": "当前状态不能做这个操作",
    "bad_date": "请选择今天或以后的日期",
    "bad_encoding": "文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV",
}
PAGE_EXPIRED = "页面已过期，请刷新后再提交"
FORBIDDEN = ("没有权限", "您的角色不能使用这个功能。")
LOGIN_EXPIRED = "登录已超时，请重新登录"
LOGIN_ERRORS: dict[str, str] = {"locked": "密码错误次数过多，请 15 分钟后再试", "no_agency": "该账号不属于任何经办机构"}
LOGIN_FAILED = "用户名或密码不对"
BAD_DATE_FORMAT = "日期格式不对"
REQUEST_HANDLED = "已处理"
REVIEW_APPROVED = "已通过，认证已记录"
REVIEW_REJECTED = "已驳回，原因已通过微信告知"
CERTIFICATION_RECORDED = "认证已记录"
RESUMED_NOTE = "；{month}起恢复发放，补发 {months} 个月"
IN_PERSON_NOTE = "；暂停已超过期限，需本人到经办机构现场认证才能恢复"
CHOOSE_CSV = "请选择 CSV 文件"
CHOOSE_ROSTER = "请选择 .csv 或 .xlsx 名单文件"
CHOOSE_ZIP = "请选择 .zip 压缩包"

# --- imports: roster and photos -------------------------------------------------------------

# Header spellings seen in agency exports → our field names.
ROSTER_HEADERS: dict[str, str] = {
    "姓名": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "社会保障号码": "id_number",
    "社保编号": "ss_number",
    "个人编号": "ss_number",
    "社保卡号": "ss_number",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "地址": "address",
    "居住地址": "address",
    "家庭住址": "address",
    "所属区域": "region",
    "区域": "region",
    "所属街道": "region",
    "所属社区": "region",
}
ROSTER_FIELD_NAMES: dict[str, str] = {"name": "姓名", "id_number": "身份证号"}
# ID-number column headers of a data-comparison CSV.
ID_COLUMN_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "证件号码")
# Why a roster row was refused, in the words agency staff use.
ROSTER_ROW_ERRORS: dict[str, str] = {
    "missing_name": "姓名为空",
    "bad_name": "姓名格式不对",
    "duplicate_in_file": "身份证号在本文件中重复出现",
    "bad_phone": "手机号不正确（应为11位手机号）",
    "empty": "身份证号为空",
    "wrong_length": "身份证号位数不对（应为18位）",
    "legacy_15_digit": "这是15位老身份证号，请换成18位新号码",
    "bad_characters": "身份证号含有非法字符",
    "bad_check_digit": "身份证号校验位不对，请核对",
    "bad_birth_date": "身份证号里的出生日期不对",
    "bad_region": "身份证号前6位地区码不对",
}
# Why a roster file was refused as a whole.
ROSTER_MISSING_COLUMNS = "缺少必需的列："
ROSTER_BAD_ENCODING = "文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV"
ROSTER_BAD_XLSX = "无法打开 Excel 文件，请确认是 .xlsx 格式"
ROSTER_EMPTY = "文件是空的"
ROSTER_BAD_TYPE = "只支持 .csv 和 .xlsx 文件"
ROSTER_REPORT = "新增 {created} 人，更新 {updated} 人，未变 {unchanged} 人，有问题 {errors} 行"
ROSTER_ROW_LINE = "第 {line} 行：{message}"
ROSTER_IMPORTING = "导入中"
# Why a photo was refused, in the words agency staff use (vision.enroll reason keys and the import's own).
PHOTO_REASONS: dict[str, str] = {
    "no_face": "照片里没有找到人脸",
    "several_faces": "照片里有不止一张人脸",
    "not_frontal": "不是正脸照片",
    "too_blurred": "照片太模糊",
    "too_dark": "照片太暗",
    "too_small": "照片分辨率太低或人脸太小",
    "photo_unreadable": "照片文件打不开",
    "unsupported_type": "只支持 jpg、jpeg、png 照片",
    "bad_file_name": "文件名应为 姓名+身份证号，如 张三230102194603151234.jpg",
    "bad_id_number": "文件名里的身份证号不正确",
    "not_in_roster": "名单里没有这个身份证号，请先导入名单",
    "name_mismatch": "文件名里的姓名和名单不一致",
    "duplicate_in_zip": "同一个人的照片在压缩包里出现了多次",
    "too_large": "照片文件太大（超过 10 MB）",
    "vision_unavailable": "人脸模型暂不可用，请稍后重试",
    "model_unavailable": "人脸模型暂不可用，请稍后重试",
}
PHOTO_REJECTED = "照片不合格"
PHOTO_BAD_ZIP = "文件不是有效的 ZIP 压缩包"
PHOTO_REPORT = "成功登记 {enrolled} 张，未通过 {rejected} 张"

# --- CLI ----------------------------------------------------------------------------------

CLI_AGENCY_NAME_HELP = "e.g. 哈尔滨市社会保险事业服务中心"
CLI_NO_AGENCY = "没有代码为 {code} 的经办机构，请先用 create-agency 创建"
CLI_AGENCY_SAVED = "经办机构 {code} 已保存"
CLI_PASSWORD_SHORT = "密码至少 10 位"
CLI_ADMIN_SAVED = "管理员 {username} 已保存（角色：{role}）"

# --- H5 pages and the mini-program API -----------------------------------------------------

PAGE_RATE_LIMITED = "请稍后再试"
PAGE_LINK_FAILED = "没有绑定成功"
PAGE_CANNOT_CERTIFY = "暂时不能认证"
PAGE_NOT_REVOKED = "没有解除"
PAGE_QR_REFUSED = ("不能生成", "只有老人本人可以生成家属二维码。")
PHONE_SAVED = "已保存"
BAD_PHONE_INPUT = "请输入正确的11位手机号码"
API_LOGIN_REQUIRED = "请从微信菜单重新进入"
API_NO_LOGIN_CODE = "缺少登录凭证"
API_LOGIN_FAILED = "登录失败，请重新打开小程序"
API_BAD_REQUEST = "参数不对"

# --- template messages (wechat.templates; each field at most 20 characters) ---------------

TEMPLATE_TITLES: dict[str, str] = {
    "cert_result": "认证结果通知",
    "reminder": "认证到期提醒",
    "suspension": "待遇暂停通知",
    "resumption": "待遇恢复通知",
    "family_bound": "家属绑定通知",
}
GENERIC_FAILURE = ("这次没有认证成功", "重拍或到社区服务站办理")
CERT_DONE = ("本年度认证已完成", "无需再操作")
CERT_PASSED, CERT_NOT_PASSED = "认证通过", "未通过"
REMINDER_WHAT = "养老金领取资格认证"
REMINDER_STEP = "请在截止日前完成认证"
SUSPENSION_STATE = "暂停发放"
SUSPENSION_STEP = "补做认证后下月恢复并补发"
RESUMPTION_STATE = "恢复发放"
RESUMPTION_STEP = "暂停期间的待遇将补发"
FAMILY_BOUND_STEP = "不是您本人同意请打{hotline}"
# What the notification flow fills in when the caller gave no words.
NAME_FALLBACK = "老人"
FAMILY_MEMBER = "一位家人"
REVIEW_NOT_PASSED = "审核未通过"
REVIEW_NEXT_STEP = "可到社区服务站办理"
REVIEW_PENDING = "需要人工确认"
REVIEW_PENDING_STEP = "工作人员审核后通知您"
TRY_AGAIN = "请再试一次"
ADVICE_SEP = "；"

# WeChat's errors that retrying cannot fix, as the outbox records them (errcode → what it means).
WECHAT_ERRORS: dict[int, str] = {
    43004: "用户未关注",
    40003: "openid 无效",
    43101: "用户拒收",
    45015: "超过48小时互动窗口",
    45047: "客服消息超过条数上限",
    40037: "模板id无效",
    40036: "模板id长度无效",
    47003: "模板参数无效",
    48001: "接口未授权",
}

# --- the official account's menu (wechat.menu; names within WeChat's byte limits) ----------

MENU_SERVICES = "在线服务"
MENU_CERTIFY = "资格认证"
MENU_RECORDS = "认证记录"
MENU_FAMILY = "家属代认证"
MENU_GUIDES = "办事指南"
MENU_GUIDE = "认证指南"
MENU_FAQ = "常见问题"
MENU_CONTACT = "联系我们"
MENU_MINE = "我的"
MENU_BINDING = "绑定/解绑"
MENU_CONTACT_INFO = "联系信息修改"

# --- the bot's replies (bot.replies, bot.scenes, bot.family_scene, bot.endpoint) -----------

BUSY_REPLY = "系统有点忙，请稍等一会儿再试。如着急，请打{hotline}。"
EXPIRED_QR_REPLY = ("这个二维码已经失效了（二维码有效期有限，用过一次也会失效）。\n"
                    "请让老人或家人在“在线服务→家属代认证”里重新生成二维码，再扫一次。")
FAMILY_BOUND_REPLY = ("绑定成功！您现在可以帮 {name} 做养老金资格认证了。\n"
                      "请点菜单“在线服务 → 资格认证”，在名单里选择老人，再按提示录像。")
LINK_CERTIFY = "点这里开始认证"
WELCOME = ("您好，欢迎关注！这里可以在家用手机完成养老金领取资格认证，不用跑腿。\n\n"
           "第一步：点下方菜单“在线服务→资格认证”，按提示绑定本人信息，再拍一段几秒钟的视频就行。\n"
           "家人也可以帮忙：点“在线服务→家属代认证”。\n\n"
           "有问题回复“帮助”。认证免费，不要把验证码告诉任何人。")
HELP = ("您可以回复这些字：\n"
        "“认证”——怎么在手机上认证\n"
        "“查询”——查看认证记录\n"
        "“家属”——家人怎么帮忙认证\n"
        "“绑定”——绑定或解绑老人\n"
        "“问题”——常见问题\n"
        "“电话”——联系我们\n"
        "也可以直接点下方菜单。")
GUIDE = ("【手机认证四步走】\n"
         "1. 点菜单“在线服务→资格认证”；\n"
         "2. 第一次使用要绑定本人姓名和身份证号；\n"
         "3. 到亮处，摘下帽子眼镜，按提示拍几秒钟视频；\n"
         "4. 等消息通知结果，一般几分钟内就有。\n"
         "{link}")
CERTIFY = ("在手机上认证很简单：点下方菜单“在线服务→资格认证”，按提示拍几秒钟视频就行。\n"
           "{link}\n"
           "拍摄时请到亮处，摘下帽子和眼镜。")
FAMILY = ("家人可以用自己的手机帮老人认证：\n"
          "1. 老人在自己的微信里打开“家属代认证”，出示家属二维码；\n"
          "2. 家人关注本公众号，用微信“扫一扫”扫这个二维码；\n"
          "3. 绑定后点“在线服务→资格认证”，选择老人，请老人本人对着镜头拍摄。\n"
          "一位家人可以帮几位老人认证。\n")
LINK_FAMILY = "点这里出示二维码或管理家属"
CONTACT = ("人社服务热线：{hotline}（工作日上班时间）。\n"
           "也可以带上身份证，到社区服务站或社保经办窗口办理。\n"
           "在这里直接留言，我们也会看到。")
CONTACT_INFO = "修改联系电话，需要先绑定老人。\n"
LINK_CONTACT_INFO = "点这里修改手机号"
CONTACT_INFO_ADDRESS = "\n修改地址请带身份证到社保经办窗口办理，或打{hotline}咨询。"
LINK_BIND_SELF = "点这里绑定本人"
LINK_MANAGE_FAMILY = "点这里管理家属代认证（解绑）"
NOT_BOUND_YET = ("您还没有绑定老人。绑定后才能认证和查记录。\n"
                 "本人或家人都可以绑定，需要老人的姓名和身份证号。\n")
BOUND_HEADER = "您已绑定："
BOUND_LINE = "· {name}（{kind}）"
# Binding kind (storage.models.BindingKind): staff bindings read as a proxy too.
BINDING_KINDS: dict[str, str] = {"self": "本人", "family": "家属代办", "staff": "家属代办"}
RECORDS_NOT_BOUND = "您还没有绑定老人，暂时查不到认证记录。\n请先点“我的→绑定/解绑”。"
RECORDS_HEADER = "【认证记录】"
RECORDS_NONE = "还没有记录"
RECORDS_LINE = "{name}：上次认证 {when}；养老金{status}"
LINK_RECORDS = "点这里看全部记录"
NOT_UNDERSTOOD = "抱歉，没看懂您的意思。\n"
VIDEO_IN_CHAT = ("收到您的视频。认证视频请在“在线服务→资格认证”里按提示拍摄，聊天里发的视频不能用来认证。\n"
                 "{link}")
TEXT_ONLY = "收到。目前只能看懂文字，请回复“帮助”看看能做什么，或打{hotline}。"

# Keywords of a text message, tried in order; the first whose keyword appears wins (bot.replies.KEYWORDS).
KEYWORDS_RECORDS = ("记录", "查询", "查一下")
KEYWORDS_BINDING = ("解绑", "绑定")
KEYWORDS_FAMILY = ("家属", "家人", "代认证", "子女")
KEYWORDS_HELP = ("帮助", "菜单", "你好", "您好", "在吗", "?", "？")
KEYWORDS_FAQ = ("问题", "常见")
KEYWORDS_CONTACT = ("电话", "联系", "人工", "客服", "地址")
KEYWORDS_GUIDE = ("指南", "流程", "步骤")
KEYWORD_CERTIFY = "认证"

# The questions retirees and their families actually ask: (title, keywords, answer); {hotline} is filled in.
FAQ: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("谁需要认证？", ("谁需要", "要不要认证", "需要认证吗"),
     "按月领取养老金的退休人员，每年都要做一次“领取资格认证”，确认本人健在、还符合领取条件。"),
    ("多久认证一次？最晚什么时候？", ("多久", "截止", "期限", "什么时候", "几号"),
     "一般每12个月认证一次。具体截止日期以社保经办机构的通知为准，快到期时本公众号会发消息提醒您。"
     "上次认证的时间，可以点菜单“在线服务→认证记录”查看。"),
    ("刷脸总是不成功怎么办？", ("失败", "不成功", "不通过", "没通过", "识别不", "刷不", "刷脸"),
     "请试试这样做：\n1. 到明亮的地方，不要背对窗户；\n2. 摘下帽子和眼镜，露出整张脸；\n"
     "3. 手机拿稳，脸放在框里，按提示眨眼或张嘴；\n4. 可以请家人帮忙拿手机。\n"
     "还是不行，可以带身份证到社区服务站或社保窗口办理。年纪很大或卧病在床的老人，"
     "可以打电话{hotline}申请工作人员上门认证。"),
    ("没按时认证，养老金会停发吗？怎么恢复？", ("停发", "暂停", "恢复", "补发", "停了", "没发"),
     "超过期限没有认证，养老金会暂停发放，但不会取消。\n"
     "补做认证后，一般从下个月起恢复发放，暂停期间没发的钱会一并补发，一分不少。"),
    ("家人可以帮忙认证吗？", ("家人", "家属", "子女", "代认证", "帮老人", "帮忙"),
     "可以。家人用自己的手机关注本公众号，点菜单“在线服务→家属代认证”，按提示绑定老人，"
     "就可以用自己的手机帮老人认证。拍摄时必须是老人本人出镜。"),
    ("住在外地，怎么认证？", ("外地", "异地", "外省", "国外", "不在本地"),
     "住在外地也可以直接在本公众号用手机认证，不用跑回来。刷脸不成功的，可以到现在居住地的"
     "社保经办机构请求协助认证，或打{hotline}咨询。"),
    ("认证要花钱吗？", ("收费", "花钱", "要钱", "费用", "骗"),
     "认证完全免费。任何人以认证为名向您要钱、要银行卡密码或手机验证码，都是诈骗，请不要理会，"
     "可以打{hotline}核实。"),
    ("怎么知道认证通过了没有？", ("结果", "通过了吗", "成功了吗"),
     "认证完成后，本公众号会发消息告诉您结果。也可以随时点菜单“在线服务→认证记录”查看。"),
)
FAQ_INDEX_HEADER = "常见问题（回复数字查看）："
FAQ_ANSWER_TITLE = "【{title}】\n"


def reason_text(codes: Iterable[str]) -> str:
    words = [REASONS[c] for c in codes if c in REASONS]
    return "；".join(dict.fromkeys(words)) or UNKNOWN_FAILURE


def advice_text(codes: Iterable[str]) -> str:
    words = [ADVICE[c] for c in codes if c in ADVICE]
    return "；".join(dict.fromkeys(words))


def refusal_text(code: str) -> str:
    """A FlowError code in words; a domain code the flow passed on (already_bound, bad_check_digit …) too."""
    return REFUSALS.get(code) or MESSAGES.get(code, UNKNOWN_REFUSAL)
