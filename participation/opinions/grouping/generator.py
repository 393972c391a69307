"""A generated set of opinions with known campaigns, for the grouping tests and bench.

A campaign is one text copied by many people, each copy edited the way people edit
them: punctuation and width changed, spaces added, words inserted or deleted, sentences
reordered, a name and a place appended; copies arrive through every channel. Unrelated
opinions are written from the same vocabulary (the same articles and subjects), so they
resemble each other as much as real opinions on one draft do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ARTICLES = [f"第{n}条" for n in "一二三四五六七八九十"] + [
    f"第{n}条" for n in ("十一", "十二", "十五", "二十", "二十三", "三十")]
SUBJECTS = [
    "停车收费标准", "老旧小区改造", "垃圾分类投放点", "电动自行车充电", "学校周边交通",
    "农村公路养护", "社区养老服务", "物业服务费用", "占道经营管理", "夜间施工噪声",
    "公共厕所建设", "河道保洁", "菜市场搬迁", "公交线路调整", "绿化带养护",
    "犬只管理", "装修垃圾清运", "燃气管道改造", "雨污分流工程", "校外培训机构",
    "小区加装电梯", "共享单车停放", "餐饮油烟排放", "违法建设拆除", "居民用水价格",
    "残疾人无障碍设施", "农贸市场卫生", "城中村改造", "学前教育收费", "医保报销比例",
    "停车位配建", "路灯照明", "污水处理费", "流浪动物救助", "老年食堂", "快递柜设置",
    "广场舞噪声", "农田水利设施", "集体土地征收", "道路限速", "公园开放时间",
]
ACTIONS = [
    "应当降低", "建议取消", "应当明确", "建议增加", "希望尽快落实", "建议延长",
    "应当公开", "建议细化", "不应提高", "建议分阶段实施", "应当征求居民意见", "建议补充",
]
DETAILS = [
    "收费时段", "责任主体", "资金来源", "监督方式", "处罚标准", "过渡期限",
    "补偿办法", "投诉渠道", "实施范围", "审批程序", "公示时间", "考核办法",
    "服务标准", "安全要求", "维护责任", "退出机制", "信息公开内容", "收费依据",
    "听证程序", "评估指标", "应急预案", "资金使用情况", "年度计划", "责任追究",
]
REASONS = [
    "否则会加重困难群众负担", "目前群众意见很大", "周边居民反映强烈", "现有规定不够具体",
    "与上位法的规定不一致", "实际执行中难以操作", "很多老人不会使用手机", "影响正常生活休息",
    "外地经验值得借鉴", "建议参考相邻县区的做法", "基层工作人员不足", "资金保障不到位",
    "群众的知情权得不到保障", "容易产生新的矛盾", "执法尺度不统一", "小商户难以承受",
    "农村地区情况差别很大", "网上办理的流程太复杂",
]
WORDS = ["我们", "真的", "非常", "强烈", "广大", "所有", "希望", "恳请", "尽快", "认真",
         "切实", "居民", "政府", "有关部门", "一定", "马上"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛",
         "明", "超", "秀英", "桂英", "建华", "志强"]
PLACES = ["城关镇", "东城街道", "西湖社区", "新华路", "解放村", "幸福里小区", "滨江花园",
          "人民路", "北关村", "开发区", "南街", "桃园村", "向阳社区", "建设路", "红星小区",
          "高铁新城", "老城区", "石桥镇", "金水湾", "工业园区"]
JOBS = ["退休教师", "出租车司机", "个体户", "社区志愿者", "外卖骑手", "护士", "小学老师",
        "快递员", "环卫工人", "村干部"]
CHANNELS = ["online", "hotline", "letter", "email", "symposium", "questionnaire"]


@dataclass
class GeneratedOpinion:
    """One generated opinion: ``campaign`` is its campaign's number, None if unrelated."""

    body: str
    channel: str
    campaign: int | None
    person: str


_SENTENCES = [
    "{article}关于{subject}的规定，{action}{detail}，{reason}",
    "对于{subject}，我认为{detail}{action}，{reason}",
    "{reason}，所以{article}{action}{detail}",
    "关于{subject}，{action}{detail}和{detail2}",
    "{subject}涉及千家万户，{article}中的{detail}{action}",
    "建议在{article}之后增加一款，规定{subject}的{detail}",
    "{article}写得太笼统，{subject}的{detail}和{detail2}都没有说清楚",
    "我支持{article}关于{subject}的内容，但{detail}{action}",
]


def _sentence(rng: random.Random) -> str:
    return rng.choice(_SENTENCES).format(
        article=rng.choice(ARTICLES), subject=rng.choice(SUBJECTS),
        action=rng.choice(ACTIONS), detail=rng.choice(DETAILS),
        detail2=rng.choice(DETAILS), reason=rng.choice(REASONS))


def campaign_text(rng: random.Random) -> list[str]:
    """A campaign's text: three to five sentences."""
    return [_sentence(rng) for _ in range(rng.randint(3, 5))]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


_WIDE = str.maketrans("0123456789，。", "０１２３４５６７８９,.")


def edited_copy(sentences: list[str], rng: random.Random) -> str:
    """One person's copy of a campaign's sentences, edited (each edit with its own
    probability; about a third of the copies are only re-punctuated)."""
    parts = list(sentences)
    if rng.random() < 0.3:
        rng.shuffle(parts)
    words = list("。".join(parts))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):  # inserted words
        position = rng.randrange(len(words) + 1)
        words[position:position] = list(rng.choice(WORDS))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):  # deleted words
        position = rng.randrange(max(1, len(words) - 4))
        del words[position:position + rng.randint(2, 4)]
    text = "".join(words) + rng.choice(("。", "！", "", "!!"))
    if rng.random() < 0.3:
        text = text.translate(_WIDE)
    if rng.random() < 0.2:
        text = text.replace("，", " ")
    if rng.random() < 0.4:  # a name and a place appended
        text += rng.choice(("", "\n", " —— ")) + _name(rng) + rng.choice(("", "，", " ")) \
            + rng.choice(PLACES) + rng.choice(("居民", "", "村民"))
    return text


_STORIES = [
    "我家住在{place}{n}号楼，每月要多交{m}元",
    "我在{place}住了{n}年，{subject}一直没有解决",
    "上个月{n}日我为{subject}打过12345热线，{place}的工作人员至今没有答复",
    "{place}的{subject}问题已经拖了{n}个月",
    "我是{place}的一名{job}，每天{n}点就要出门",
    "{place}的{subject}每年要花{m}元，大家都有意见",
    "{place}附近有{n}所学校，早晚高峰很拥堵",
    "我们{place}有{m}多户居民，大多是老年人",
    "去年{subject}花了{m}万元，效果并不明显",
]


def unrelated_text(rng: random.Random) -> str:
    """An opinion of its own, from the same vocabulary: one or two sentences on the draft
    and one about the writer's own situation, in varying order."""
    parts = [_sentence(rng) for _ in range(rng.randint(1, 2))]
    parts.append(rng.choice(_STORIES).format(
        place=rng.choice(PLACES), n=rng.randint(1, 60), m=rng.randint(2, 900),
        subject=rng.choice(SUBJECTS), job=rng.choice(JOBS)))
    if rng.random() < 0.5:
        parts.append(rng.choice(WORDS) + rng.choice(ACTIONS) + rng.choice(DETAILS))
    rng.shuffle(parts)
    return "。".join(parts) + rng.choice(("。", "！", ""))


def generate(total: int, campaign_share: float = 0.6, seed: int = 6) -> list[GeneratedOpinion]:
    """``total`` opinions: ``campaign_share`` of them copies of campaigns (5 to 2,000
    copies each, heavy-tailed), the rest unrelated; shuffled."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    opinions: list[GeneratedOpinion] = []
    wanted = int(total * campaign_share)
    campaign = 0
    while len(opinions) < wanted:
        size = min(wanted - len(opinions), max(5, int(rng.paretovariate(1.1) * 8)), 2000)
        sentences = campaign_text(rng)
        for _ in range(size):
            person = _name(rng) + str(rng.randrange(10_000))
            opinions.append(GeneratedOpinion(edited_copy(sentences, rng),
                                             rng.choice(CHANNELS), campaign, person))
        campaign += 1
    while len(opinions) < total:
        opinions.append(GeneratedOpinion(unrelated_text(rng), rng.choice(CHANNELS), None,
                                         _name(rng) + str(rng.randrange(10_000))))
    rng.shuffle(opinions)
    return opinions
