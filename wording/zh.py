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
    # issue 15: the bound challenge (vision/binding.py)
    "action_not_in_window": "动作没有在提示之后做",
    "recording_too_short": "录像提前结束了",
    "light_mismatch": "屏幕的光没有照到脸上",
    "light_inconclusive": "光线不合适，看不清屏幕的反光",
    "replay_suspected": "这段视频以前提交过",
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
    "wait_for_prompt": "请听完提示再做动作",
    "record_until_done": "请等提示说完成再停止",
    "keep_face_near_screen": "请把脸对着手机屏幕，离近一点",
    "screen_brightness_up": "请把手机屏幕调亮一些",
    "soft_indoor_light": "请到室内光线柔和的地方",
}

# Spoken prompts of the recording page (pre-rendered by scripts/make_prompt_audio.py).
PROMPTS: dict[str, str] = {
    "ready": "准备好了，听到提示后再慢慢做动作",
    "blink": "请眨眨眼",
    "turn_left": "请慢慢把头转向左边",
    "turn_right": "请慢慢把头转向右边",
    "open_mouth": "请张张嘴",
    "nod": "请点点头",
    "uploading": "正在上传，请稍候",
    "verifying": "正在核验，请稍候",
    "result_passed": "认证通过",
    "result_other": "认证结果已经出来了，请看屏幕上的字",
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
    "too_many_challenges": "认证次数太多，请过一小时再试，或到社区服务点办理",
    "recording_not_started": "请先点开始录像",
    "step_not_yet": "请跟着提示慢慢做",
    "step_unknown": "认证已失效，请重新开始",
    "chunk_unexpected": "网络不稳定，请重新开始",
    "stream_incomplete": "录像没有传完整，请重新开始",
    "stream_timing": "录像没有按时传上来，请在网络好的地方重新开始",
    "record_gone": "这条记录已经不在了，请返回重新打开",
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
PAYMENT_HEADER = ["变动类型", "姓名", "社保编号", "身份证号", "所属区域", "生效日期", "补发月数", "补发月份", "记录时间",
                  "多发月数", "多发月份"]
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
    "match_score": "人脸比对分数（两个模型合算，越小越像；0.95以下自动通过，1.10以上不是同一人）",
    "match_template_source": "比上的登记照",
    "match_review_why": "转人工的原因",
    "match_distance": "dlib比对距离（越小越像；仅供参考）",
    "match_sface_cosine": "SFace相似度（越大越像；0.363以上算像）",
    "spoof_live_score": "真人分数（0–1，越大越像真人现场拍摄）",
    "parallax": "转头时的立体感（照片翻拍接近0）",
    "missing_actions": "没有做到的动作",
    "face_fraction": "拍到脸的画面比例",
    "face_luma": "脸部亮度",
    "face_sharpness": "清晰度",
}
# Where an enrolled face template came from (storage EnrollmentPhoto.source).
TEMPLATE_SOURCES: dict[str, str] = {
    "zip_import": "机构登记照", "console": "机构登记照", "review_approval": "人工审核通过后加入的照片",
    "onsite": "现场认证时加入的照片", "home_visit": "上门认证时加入的照片", "refresh": "自动认证时更新的照片",
}
# Why vision sent a face match to a person (vision.match ``match_review_why`` keys).
MATCH_REVIEW_WHY: dict[str, str] = {
    "borderline": "比对分数在临界区", "one_model_only": "只有一个比对模型可用", "missing_sface": "缺少SFace比对",
    "missing_dlib": "缺少dlib比对", "template_without_sface": "登记照需重新录入",
    "frame_face_small": "视频里脸太小", "frame_blurred": "视频模糊", "frame_dark": "视频太暗", "frame_bright": "视频太亮",
    "frame_turned": "视频里脸是侧的", "photo_face_small": "登记照里脸太小", "photo_blurred": "登记照模糊",
    "photo_dark": "登记照太暗", "photo_bright": "登记照太亮", "photo_turned": "登记照是侧脸",
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
PAGE_NAME_NOT_SAVED = "称呼没有保存"
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
                      "请点菜单“在线服务 → 资格认证”，在名单里选择老人，再按提示录像。\n"
                      "在“家属代认证”里写上您的称呼（如“女儿 小红”），老人就知道是谁在帮忙。")
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
REQUEST_STATUS_FOR_USER: dict[str, str] = {
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
WECHAT_ERROR_WORDS: dict[int, str] = {
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
        return WECHAT_ERROR_WORDS.get(int(code), "微信没有送达，原因未知，请电话通知")
    except (TypeError, ValueError):
        return "微信没有送达，原因未知，请电话通知"

# Menu, chat keywords and roster conflicts (journeys-agency).
MENU_HOME_VISIT = "预约上门认证"
KEYWORDS_DEATH = ("去世", "死亡", "过世", "逝世", "病故", "离世", "不在了")
KEYWORDS_HOME_VISIT = ("上门", "预约上门", "行动不便", "来家里", "到家里")
ROSTER_CONFLICT_FIELDS = {"phone": "手机号", "address": "地址"}
ROSTER_CONFLICT_LINE = "第 {line} 行：{name} 的{field}本人已改为 {kept}，名单里是 {in_file}，未覆盖"
ROSTER_CONFLICTS_NOTE = "，{count} 处本人已改过、未覆盖（见下表）"

# Console words of journeys-agency: confirmations, the cycle in plain words, the call list, users, the demo.
CONFIRM_MONTH = "{year}年{month}月"
CYCLE_CONFIRM_TITLE = "确认立即执行认证周期"
CYCLE_CONFIRM_BUTTON = "确认执行"
CYCLE_PLAIN_DRY = ("{agency}：如果今天（{day}）执行，将暂停发放 {suspended} 人（从{since}起），"
                   "将恢复发放 {resumed} 人，预计发微信通知 {notices} 条")
CYCLE_PLAIN_CALLS = "；另有 {count} 人没有关注公众号，需要电话或上门通知"
CYCLE_PLAIN_DONE = "{agency}：{day}已暂停发放 {suspended} 人，已恢复发放 {resumed} 人，已发微信通知 {notified} 条。"
IMPORT_BAD_FILE_DATE = "名单日期格式不对"
DEATH_CONFIRM_TITLE = "确认停发待遇"
DEATH_CONFIRM_BUTTON = "确认停发"
DEATH_CONFIRM_STOP = "{name}（{id_masked}）将停止发放养老金，停发后不能在线恢复。"
DEATH_CONFIRM_DATES = "去世日期：{died}；从{stop}起停发。"
DEATH_CONFIRM_OVERPAID = "已多发 {count} 个月（{months}），会列在发放系统导出里，需要追回。"
DEATH_CONFIRM_NOT_OVERPAID = "没有多发的月份。"
DEATH_CONFIRM_NO_DATE = "报告里没有去世日期，停发从今天记。"
DEATH_CONFIRM_NOTE = "核实情况：{note}"
STAFF_SAVED = "已保存"
STAFF_CREATED = "已创建账号 {username}"
STAFF_DISABLE_TITLE = "确认停用账号"
STAFF_DISABLE_BUTTON = "确认停用"
STAFF_DISABLE_TEXT = "停用后，{username} 马上不能再登录管理台（已登录的也会退出）。以后可以重新启用。"
STAFF_DISABLED = "已停用"
STAFF_ENABLED = "已启用"
CALL_LIST_HEADER = ["姓名", "身份证号", "手机号", "地址", "所属区域", "为什么要打电话"]
CALL_LIST_SHEET = "电话通知名单"
CALL_LIST_UNFOLLOWED = "已取消关注公众号"
CALL_LIST_NO_WECHAT = "没有绑定微信"
REVIEW_CLOSED_WITH = "随 {attempt} 一并处理"
DEMO_AGENCY_NAME = "演示市社会保险事业服务中心"
DEMO_REGIONS = ("南岗区", "道里区")
DEMO_NAMES = ("张桂兰", "王建国", "李秀英", "赵德明")
DEMO_ADDRESS = "{region}演示街1号"
DEMO_PHOTO = {"kept": "已有照片", "missing": "没有找到照片 {path}", "refused": "照片未通过：{reasons}",
              "enrolled": "照片已登记"}
DEMO_AGENCY_LINE = "演示机构：{code}"
DEMO_ADMIN_NEW = "管理台账号：{username}  密码：{password}"
DEMO_ADMIN_KEPT = "管理台账号：{username}（已存在，密码未改）"


# --- outbox ---
# Console import jobs that stopped on an error (flows/imports.py): what the progress page says.
IMPORT_FAILED = "导入没有完成：{reason}。已导入的部分已保存，可以重新上传文件再试"
IMPORT_FAILURE_REASONS = {
    "store": "文件存储暂时不可用",
    "database": "数据库暂时不可用",
    "internal": "系统内部出错（{kind}）",
}
PHOTO_UNSAFE_PATH = "压缩包里的路径不安全（含 .. 或以 / 开头），已跳过"
PHOTO_REASONS["unsafe_path"] = PHOTO_UNSAFE_PATH  # a ZIP entry skipped for path traversal


def import_failed_text(reason: str, kind: str = "") -> str:
    """The progress page's line for an import job that raised ``kind`` (an exception class name)."""
    return IMPORT_FAILED.format(reason=IMPORT_FAILURE_REASONS.get(reason, IMPORT_FAILURE_REASONS["internal"])
                                .format(kind=kind))
# Entry points' answers when a part of the system is down (503) or a request is too big (413), web/errors.py.
SERVICE_UNAVAILABLE = "系统正忙或正在维护，您的资料没有丢失，请过几分钟再试"
REQUEST_TOO_LARGE = "提交的内容太大了，请重新录制一段短一点的视频（10 秒以内）"
ERROR_PAGE_TITLE = "暂时办不了"


# --- security ---
# Roster rows refused for issue 11. One neutral sentence for a person who cannot be imported,
# whatever the reason, so the report never tells whether an ID number exists elsewhere.
ROSTER_ROW_ERRORS.update({
    "not_importable": "此人无法导入，请核对身份证号，或联系系统管理员",
    "too_long": "有一栏内容过长（地址最多200字，社保编号最多32位，区域最多100字）",
})
# Why a verdict was not recorded as a pass (flows.verification): the binding or consent ended meanwhile.
REASONS["not_authorized"] = "绑定或授权已解除，这次认证不算数"
# Refusals of the identity rules (flows.people).
REFUSALS.update({
    "helper_name_invalid": "称呼请写1到8个字，比如“女儿 小红”，不要写数字",
    "family_use_qr": "您是家属，不能作为本人绑定。请让老人在“家属代认证”里出示二维码，用您的微信扫一扫",
    "self_pending_agency": "已收到您的绑定申请。社保机构还没有您的照片，请带身份证到社区服务点确认本人",
})
# The pending claim as the home page shows it.
SELF_PENDING_TEXT = "待确认本人：请完成一次刷脸认证，和登记照片核对一致后即绑定成功"
SELF_PENDING_HINT = "如果您是老人的家属，请不要用这种方式绑定，请扫老人出示的二维码。"
# Console flashes of the identity actions (console/views/people.py).
CONSOLE_CLAIM_CONFIRMED = "已确认本人绑定"
CONSOLE_RECOVERED = "已解除 {count} 个绑定，请老人重新绑定并刷脸确认"
# The consent text: exactly what is kept and for how long (flows/retention.py keeps to it).
CONSENT_TITLE = "人脸信息使用说明"
CONSENT_TEXT = ("认证时需要录一段几秒钟的视频，只用于核对是否本人、是否在世，不会用作其他用途。"
                "视频和从中选出的一张人脸照片保存30天后自动删除；转人工审核的视频在审核结束后删除。"
                "社保机构登记的照片和由它算出的人脸特征，在照片有效期间保存，换照片后旧的随即删除。"
                "认证结果和分数一直保存，作为发放依据。您可以随时撤回同意，撤回后不再做人脸核对，"
                "可到社区服务点现场认证或预约上门认证。")
CONSENT_WITHDRAWN = "已撤回同意，不再做人脸核对。您可以到社区服务点现场认证，或预约上门认证。"
CONSENT_WITHDRAW_LABEL = "撤回人脸信息同意"


# --- journeys-user ---
# One status per person (flows.people.PersonView.status, plus "review" while an attempt is with staff).
def status_line(code: str, due_by=None, valid_until=None, back_pay_months: int = 0) -> str:
    """The one line a person card, 认证记录 and the bot's 查询 say about where someone stands."""
    if code == "review":
        return "审核中（预计3个工作日内有结果）"
    if code == "certified":
        return f"已认证（有效至{date_text(valid_until)}）" if valid_until else "已认证"
    if code == "due":
        return f"待认证（截止{date_text(due_by)}）" if due_by else "待认证"
    if code == "overdue":
        return f"已逾期（请尽快认证，截止{date_text(due_by)}）" if due_by else "已逾期（请尽快认证）"
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
    "video_reused": ("这段视频已经用过了", "请重新录一段新的"),
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
FAMILY_CERTIFIED_STEP_NAMED = "家属{helper}已帮您完成认证"  # a helper name has at most 8 characters: fits 20


def family_certified_step(helper: str | None) -> str:
    """The retiree's template field when a family member certified for them, naming the helper."""
    return FAMILY_CERTIFIED_STEP_NAMED.format(helper=helper) if helper else FAMILY_CERTIFIED_STEP


def certified_by_text(by: str | None, helper: str | None = None) -> str | None:
    """Who did a certification, as read: 本人 / 家属 女儿 小红 / 工作人员 / 数据比对."""
    if not by:
        return None
    words = CERTIFIED_BY.get(by, by)
    return f"{words} {helper}" if by == "family" and helper else words


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
FAMILY_CERTIFIED_CALL = "不是您本人同意请打{phone}"
FAMILY_CERTIFIED_CALL_SHORT = "如有疑问请打电话给社保"
CERT_IN_REVIEW = "人工审核中"
RECORDS_STATUS_LINE = "{name}：{status}"
RECORDS_LAST_BY = "\n上次认证 {when}（{by}）"
RESULT_RUNNING = "一般几秒钟就好"
RESULT_ERROR_WORDS = ("这次没有核验完", "请稍后再试一次")
RESULT_RUNNING_HEADLINE = "正在核验，请稍候"
PAGE_NOTHING_TO_DO = "现在不用认证"

# --- SMS to the phone number on the roster (flows.people.tell_roster_phone; sms/) ---------------
# The approved signature (签名) and the texts to register with the SMS gateway as its templates;
# the gateway fills ${phone} (the agency's number) and sends nothing it has not approved.
SMS_SIGN_NAME = "社保认证"
SMS_TEXTS: dict[str, str] = {
    "self_claim": "有人在微信上用您的姓名和身份证号申请本人认证。如果不是您或您同意的，请打电话${phone}。",
    "self_confirmed": "您的微信已确认为本人，可以在微信上做养老资格认证了。如果不是您本人，请打电话${phone}。",
    "record_recovered": "社保经办机构已解除别人对您认证记录的绑定，请您重新用微信绑定本人。有疑问请打电话${phone}。",
    "phone_changed_by_proxy": "您在社保登记的手机号刚被家属改了，这个号码以后不再收到通知。如果不是您同意的，请打电话${phone}。",
}
