"""The questions retirees and their families actually ask, answered in short plain Chinese.

Shown as a numbered list (reply with the number to read one), and matched by
keyword from free text. ``{hotline}`` is filled from settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    title: str
    keywords: tuple[str, ...]
    answer: str


ENTRIES: tuple[Entry, ...] = (
    Entry("谁需要认证？", ("谁需要", "要不要认证", "需要认证吗"),
          "按月领取养老金的退休人员，每年都要做一次“领取资格认证”，确认本人健在、还符合领取条件。"),
    Entry("多久认证一次？最晚什么时候？", ("多久", "截止", "期限", "什么时候", "几号"),
          "一般每12个月认证一次。具体截止日期以社保经办机构的通知为准，快到期时本公众号会发消息提醒您。"
          "上次认证的时间，可以点菜单“在线服务→认证记录”查看。"),
    Entry("刷脸总是不成功怎么办？", ("失败", "不成功", "不通过", "没通过", "识别不", "刷不", "刷脸"),
          "请试试这样做：\n1. 到明亮的地方，不要背对窗户；\n2. 摘下帽子和眼镜，露出整张脸；\n"
          "3. 手机拿稳，脸放在框里，按提示眨眼或张嘴；\n4. 可以请家人帮忙拿手机。\n"
          "还是不行，可以带身份证到社区服务站或社保窗口办理。年纪很大或卧病在床的老人，"
          "可以打电话{hotline}申请工作人员上门认证。"),
    Entry("没按时认证，养老金会停发吗？怎么恢复？", ("停发", "暂停", "恢复", "补发", "停了", "没发"),
          "超过期限没有认证，养老金会暂停发放，但不会取消。\n"
          "补做认证后，一般从下个月起恢复发放，暂停期间没发的钱会一并补发，一分不少。"),
    Entry("家人可以帮忙认证吗？", ("家人", "家属", "子女", "代认证", "帮老人", "帮忙"),
          "可以。家人用自己的手机关注本公众号，点菜单“在线服务→家属代认证”，按提示绑定老人，"
          "就可以用自己的手机帮老人认证。拍摄时必须是老人本人出镜。"),
    Entry("住在外地，怎么认证？", ("外地", "异地", "外省", "国外", "不在本地"),
          "住在外地也可以直接在本公众号用手机认证，不用跑回来。刷脸不成功的，可以到现在居住地的"
          "社保经办机构请求协助认证，或打{hotline}咨询。"),
    Entry("认证要花钱吗？", ("收费", "花钱", "要钱", "费用", "骗"),
          "认证完全免费。任何人以认证为名向您要钱、要银行卡密码或手机验证码，都是诈骗，请不要理会，"
          "可以打{hotline}核实。"),
    Entry("怎么知道认证通过了没有？", ("结果", "通过了吗", "成功了吗"),
          "认证完成后，本公众号会发消息告诉您结果。也可以随时点菜单“在线服务→认证记录”查看。"),
)


def index_text() -> str:
    lines = ["常见问题（回复数字查看）："]
    lines += [f"{i}. {e.title}" for i, e in enumerate(ENTRIES, 1)]
    return "\n".join(lines)


def answer(number: int, hotline: str) -> str | None:
    if 1 <= number <= len(ENTRIES):
        entry = ENTRIES[number - 1]
        return f"【{entry.title}】\n" + entry.answer.format(hotline=hotline)
    return None


def match(text: str, hotline: str) -> str | None:
    """The answer whose keywords appear in ``text``, if exactly one question fits best."""
    for i, entry in enumerate(ENTRIES, 1):
        if any(k in text for k in entry.keywords):
            return answer(i, hotline)
    return None
