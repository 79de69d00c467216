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
    "one_person": "拍摄时请只留本人在画面中",
    "hold_still": "请把手机拿稳",
    "follow_prompts_in_order": "请听提示，一个一个做动作",
    "slower": "动作慢一点、做到位",
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
}


def reason_text(codes: Iterable[str]) -> str:
    words = [REASONS[c] for c in codes if c in REASONS]
    return "；".join(dict.fromkeys(words)) or "没有通过"


def advice_text(codes: Iterable[str]) -> str:
    words = [ADVICE[c] for c in codes if c in ADVICE]
    return "；".join(dict.fromkeys(words))


def refusal_text(code: str) -> str:
    return REFUSALS.get(code, "出了点问题，请稍后再试")
