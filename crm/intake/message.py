"""Read an inquiry out of free text: a WeChat message, an SMS, a note from a call.

    你好，我们是做新能源汽车零部件的，想在嘉兴或者湖州长兴租个单层厂房，3000-5000平，
    需要环评，年税收大概300万，投资5000万左右。苏州某某精密机械有限公司 王经理
    139 1234 5678 微信同号

Each field found keeps the words it came from (`Found.start/end` index the original text),
so the agent sees why a field was filled. Nothing is guessed: a field the text does not
clearly support stays empty, because a wrong value is worse than none (the corpus in
tests/fixtures/messages.jsonl measures precision and recall). The result uses the JSON API's
field names; the agent's form and the API validate it like any other inquiry.
"""
import re
from dataclasses import dataclass
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from crm import regions
from crm.choices import SQM_PER_MU
from crm.inputs import building
from crm.inputs.numbers import FIGURE, SPOKEN_DIGITS, NumberError, parse_range, spoken_digits
from crm.inputs.numbers import parse as parse_number
from crm.inputs.phone import PhoneError, parse_mobile
from crm.intake.channel import pasted_channel
from crm.intake.forms import InquiryForm
from crm.intake.inquiry import Inquiry
from crm.regions import reader


@dataclass(frozen=True)
class Found:
    value: object
    start: int
    end: int


CJK = "\u4e00-\u9fff"
# Figures as people say them (crm.inputs.numbers.FIGURE: 1,200, 1万5, 2亿5千万, 一万二). Every
# quantifier here is bounded: a message of thousands of spaces or digits must not be tried
# from every position with an unbounded run each time (1.2 s a request before).
_NUM = FIGURE
_SP = r"\s{0,3}"
_AREA_UNIT = r"(?:平方米|平方|平米|平|㎡|m²|m2|亩|方(?![便向案式面法面位针]))"
_RANGE = rf"{_SP}(?:-|—|–|~|～|到|至){_SP}"
_AREA = re.compile(
    rf"(?P<pre>约|大概|大约|至少|最少|不少于|不低于|最多|不超过|不大于)?{_SP}(?P<a>{_NUM}){_SP}"
    rf"(?:(?P<ua>{_AREA_UNIT})?{_RANGE}(?P<b>{_NUM}){_SP})?(?P<unit>{_AREA_UNIT})"
    r"(?P<post>左右|上下|以上|以下|以内|起|多)?")
# A sum says its magnitude: a unit word, or a figure that ends in 万/亿 or 1亿5's digit
# (a bare "税收300" could be 元 or 万元; and the lazy words before the figure may grow).
_MONEY = (rf"(?P<num>{_NUM})(?:{_SP}(?:个)?{_SP}(?P<unit>亿元|亿|千万|万元|万|元)"
          r"|(?<=[万亿])|(?<=[万亿][\d一二两三四五六七八九]))")
_TAX = re.compile(r"(?P<kind>亩均税收|亩均纳税|亩均税|(?:年)?(?:税收|纳税|缴税|税额)(?:贡献)?)"
                  rf"[^，,。；;\n{CJK}\d]{{0,3}}(?:[{CJK}]{{0,6}}?){_SP}" + _MONEY)
_INVEST = re.compile(r"(?:总投资|固定资产投资|投资总额|投资额|投资)"
                     rf"[^，,。；;\n\d]{{0,8}}?{_SP}" + _MONEY)
_SPOKEN_MOBILE = re.compile(rf"(?<![{SPOKEN_DIGITS}])[{SPOKEN_DIGITS}](?:[\s-]?[{SPOKEN_DIGITS}]){{10}}"
                            rf"(?![{SPOKEN_DIGITS}])")
# A signature block's contact details are the broker's who forwards the need, not the
# prospect's: a line opened by —— / --, a dash run near the end, or "XX地产 张三 139…" last.
_SIGNATURE = re.compile(r"(?:^|\n)[ \t]{0,3}(?:—{1,2}|-{2,3}|－{2})(?=[^\n]{0,80})|"
                        r"(?:——|--|－－)(?=[^\n]{0,80}$)")
_BROKER_TAIL = re.compile(rf"[{CJK}A-Za-z]{{1,12}}(?:地产|置业|房产|不动产|中介|经纪|产业服务|物业顾问)"
                          rf"(?:有限公司|公司|集团|工作室)?(?:[\s·|｜:：]{{0,3}}[^\n]{{0,40}})$")
_MOBILE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?![\d])")
_SAME_WECHAT = re.compile(r"微信同号|同微信|微信同手机|微信也是这个|vx同号|v信同号|微信号同手机")
_WECHAT_LABEL = r"(?:微信号|微信|vx|v信|wx|weixin|wechat)\s{0,3}(?:号)?\s{0,3}[:：是为]?\s{0,3}"
_WECHAT = re.compile(_WECHAT_LABEL +
                     r"(?P<id>[a-zA-Z][-_a-zA-Z0-9]{5,19}|1[3-9]\d{9})(?![-_a-zA-Z0-9])",
                     re.IGNORECASE)
# Bounded and started only where a word starts: "aaaa…" (no @) was tried from every letter.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}"
                    r"(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}")
_COMPANY_END = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团)")
_COMPANY_CHARS = re.compile(rf"[{CJK}A-Za-z0-9（）()·&]")
_COMPANY_LEAD = re.compile(r"^.*(?:我们是|我是|我们|我司|来自|这边是|这里是|公司名称|公司名|单位|"
                           r"企业名称|您好|你好|是)")
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
             "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
             "毛郝龚邵万钱严覃武戴莫孔向汤")
# Surnames that are also everyday characters (订单总额, 交易总量, 日常): a name only where
# no other character comes before it, or after 是/叫/找 ("我是楼小姐").
_WORDLIKE_SURNAMES = "常单易齐季楼曲符乔浦储葛祁伍殷阮闵毕甄冼霍颜穆蒲鲍翁施洪邬柯"
_TITLES = r"(?:经理|总监|总|先生|女士|小姐|工|老板|主任|部长|老师|董|博士|"
_TITLED = re.compile(rf"((?:[{_SURNAMES}]|(?:(?<![{CJK}])|(?<=[是叫找]))[{_WORDLIKE_SURNAMES}])"
                     rf"{_TITLES}"
                     # Cantonese 李生 (Mr Li); 生 only standing alone (not 生产, 生物)
                     rf"生(?![{CJK}])))(?!您好|你好|好[，,！!\s])")
_NAMED = re.compile(rf"(?:联系人|姓名|我叫|本人)\s{{0,3}}[:：是]?\s{{0,3}}"
                    rf"([{_SURNAMES}{_WORDLIKE_SURNAMES}][{CJK}]{{1,2}}?)"
                    rf"(?=[\s，,。；;:：\d]|$|经理|先生|女士|小姐|总|博士)")
# 我姓刘 / 联系人就是我，陈 …: the surname said on its own is the contact's name.
_SURNAME_ONLY = re.compile(rf"(?:我姓|免贵姓|本人姓|联系人(?:就是我|是我本人|就我|是我)[，,\s]{{0,3}}(?:姓)?)"
                           rf"([{_SURNAMES}{_WORDLIKE_SURNAMES}][{CJK}]{{0,2}}?)"
                           rf"(?=[\s，,。；;!！\d{SPOKEN_DIGITS}]|电话|手机|号码|微信|联系|$)")
_EIA_NO = re.compile(r"(?:不需要|无需|不用|不要|不需|没有|不做|不涉及)(?:做|办)?环评")
_EIA_YES = re.compile(r"(?:需要|要求|要|需|能|可以|可|必须|得|有)(?:做|办|过|通过)?环评|"
                      r"环评(?:需要|要求|必须|要能)")
_USAGE = re.compile(rf"(?:是|我们|我司|公司)?(?:做|生产|从事|加工(?!区|园|厂)|主营|经营)"
                    rf"(?P<u>[{CJK}A-Za-z0-9]{{1,16}}?)"
                    r"(?:的|，|,|。|；|\s|用|$)|用途\s{0,3}[:：是为]?\s{0,3}(?P<v>[^，,。；;\s]{2,16})|"
                    rf"用于(?P<w>[{CJK}A-Za-z0-9]{{2,16}}?)(?:[，,。；\s]|$)")
_SPACE_TYPES = r"(?:厂房|厂|仓库|仓|冷库|库|办公|写字楼|车间|地|土地)"
_ALONE = r"(?:^|(?<=[\s，,。；;：:!！?？]))"   # a word standing on its own: "厂房 租 电话"
_RENT = re.compile(r"求租|急租|租赁|承租|想租|要租|租个|租一|租用|出租|租下|来租|租的|整租|能租|可租|"
                   rf"租{_SPACE_TYPES}|(?:厂房|仓库|冷库|办公室|车间)租|{_ALONE}租(?=[\s，,。；;！!]|$)|"
                   # 想在嘉兴平湖租2000平: 租 before the size or the kind of space wanted
                   r"租(?=[\d一二两三四五六七八九十几]|(?:研发|标准|单层|多层|独栋|小|大|整栋|半层|一层))|"
                   rf"(?:想|要|准备|打算|需要)在[{CJK}]{{1,10}}?租")
_BUY = re.compile(r"求购|购买|想买|要买|买个|买一|买块|收购|购置|拿地|买地|买厂|买仓|出售|能买|可以买|"
                  r"买下|产权|独立产证|买断|卖吗|卖么|有地卖|有卖|"
                  rf"买{_SPACE_TYPES}|{_ALONE}买(?=[\s，,。；;！!]|$)|"
                  r"买(?=[\d一二两三四五六七八九十几]|(?:标准|单层|多层|独栋|整栋))|"
                  rf"(?:想|要|准备|打算|需要)在[{CJK}]{{1,10}}?买")
_TYPES = (("factory", re.compile(r"厂房|车间|标准厂房|独栋|厂区|生产基地")),
          ("warehouse", re.compile(r"仓库|仓储|冷库|库房|物流园|物流仓|物流(?!设备)")),
          ("land", re.compile(r"工业用地|土地|地块|用地|拿地|买地|工业地|块地|亩地")),
          ("office", re.compile(r"写字楼|办公楼|办公室|办公")))
_INDUSTRIES = (
    ("nev", r"新能源汽车|新能源车|汽车零部件|汽车配件|汽配|电动车|锂电|动力电池|电池|充电桩|电机电控"),
    ("ic", r"芯片|半导体|集成电路|晶圆|封装测试|封测"),
    ("biomedicine", r"生物医药|医药|医疗器械|制药|生物技术|原料药"),
    ("equipment", r"数控|机床|机器人|自动化设备|装备制造|精密机械|机械加工|机械|模具|设备制造"),
    ("materials", r"新材料|复合材料|高分子|碳纤维|化工材料|涂料|胶粘剂"),
    ("electronics_3c", r"3c|消费电子|电子产品|手机配件|结构件|电子元器件"),
    ("ai", r"人工智能|机器视觉"),
    ("green", r"节能环保|环保设备|光伏|储能|风电"),
    ("cosmetics", r"化妆品|美妆|日化"),
    ("logistics_equipment", r"物流设备|智能仓储设备|输送线|叉车"),
    ("xinchuang", r"信创"),
)
def normalise(text: str) -> str:
    """Full-width → ASCII and traditional → simplified, one character for one, so that
    positions in the result are positions in what was pasted."""
    return reader.fold(text)


# Longer than any message the API or the paste page takes (5,000): past this it is not a
# message, and the reader never scans more (a structural bound, whatever the input).
MAX_READ = 10000


class _Reader:
    def __init__(self, text: str):
        self.text = normalise(text[:MAX_READ])
        self.found: dict[str, Found] = {}
        self.taken: list[tuple[int, int]] = []   # spans no other field may reuse
        if (start := signature_start(self.text)) is not None:
            self.taken.append((start, len(self.text)))
        # 亩均税收 seen (tax per mu, its span), turned into annual tax once the area is known.
        self.per_mu: tuple[Decimal, int, int] | None = None

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.taken)

    def put(self, name: str, value, start: int, end: int, take: bool = True) -> None:
        if name not in self.found and value not in (None, ""):
            self.found[name] = Found(value, start, end)
            if take:
                self.taken.append((start, end))


def signature_start(text: str) -> int | None:
    """Where a broker's signature block starts (it holds a phone number or a WeChat ID),
    or None."""
    for pattern in (_SIGNATURE, _BROKER_TAIL):
        for m in pattern.finditer(text):
            if m.start() > 0 and re.search(r"1[3-9]\d{9}|\d{3,4}-?\d{7,8}|微信|电话|手机|tel",
                                           text[m.start():], re.IGNORECASE):
                return m.start()
    return None


def read(text: str) -> dict[str, Found]:
    """Every field the text supports, with where it was said."""
    r = _Reader(text or "")
    _email(r)
    _mobile_and_wechat(r)
    _company(r)
    _contact(r)
    _money(r)
    _area(r)
    _eia(r)
    _requirements(r)
    _deal_and_type(r)
    _region(r)
    _industry_and_usage(r)
    return r.found


def as_fields(found: dict[str, Found]) -> dict:
    """The JSON API's field names and plain JSON values."""
    out = {}
    for name, f in found.items():
        out[name] = float(f.value) if isinstance(f.value, Decimal) else f.value
    return out


def sources(found: dict[str, Found], text: str) -> dict[str, str]:
    return {name: text[f.start:f.end] for name, f in found.items()}


def _email(r: _Reader) -> None:
    for m in _EMAIL.finditer(r.text):
        r.put("email", m.group(0), m.start(), m.end())
        return


_AFTER_WECHAT_LABEL = re.compile(_WECHAT_LABEL + "$", re.IGNORECASE)


def _mobile_and_wechat(r: _Reader) -> None:
    for m in _MOBILE.finditer(r.text):
        if not r.free(m.start(), m.end()):
            continue
        before = r.text[max(0, m.start() - 8):m.start()]
        if _AFTER_WECHAT_LABEL.search(before) and not _SAME_WECHAT.search(before):
            continue  # "微信：139…" is the WeChat ID, not the number to call ("同微信" is both)
        digits = re.sub(r"\D", "", m.group(1))
        try:
            parse_mobile(digits)
        except PhoneError:
            continue
        r.put("mobile", digits, m.start(1), m.end(1))
        break
    for m in _SPOKEN_MOBILE.finditer(r.text) if "mobile" not in r.found else ():
        digits = spoken_digits(m.group(0)) or ""   # 一八六九二三四零七一六, said on a call
        if r.free(m.start(), m.end()) and re.fullmatch(r"1[3-9]\d{9}", digits):
            try:
                parse_mobile(digits)
            except PhoneError:
                continue
            r.put("mobile", digits, m.start(), m.end())
            break
    same = _SAME_WECHAT.search(r.text)
    if same and "mobile" in r.found:
        r.put("wechat", r.found["mobile"].value, same.start(), same.end())
        return
    for m in _WECHAT.finditer(r.text):
        if r.free(m.start("id"), m.end("id")):
            r.put("wechat", m.group("id"), m.start("id"), m.end("id"))
            return


def _company(r: _Reader) -> None:
    for m in _COMPANY_END.finditer(r.text):
        start = m.start()
        while start > 0 and start > m.start() - 30 and _COMPANY_CHARS.match(r.text[start - 1]):
            start -= 1
        name = r.text[start:m.end()]
        lead = _COMPANY_LEAD.match(name[:-len(m.group(0))])
        if lead:
            start += lead.end()
            name = r.text[start:m.end()]
        if len(name) - len(m.group(0)) >= 2 and r.free(start, m.end()):
            r.put("company", name, start, m.end())
            return


def _contact(r: _Reader) -> None:
    for pattern in (_NAMED, _TITLED, _SURNAME_ONLY):
        for m in pattern.finditer(r.text):
            before = r.text[max(0, m.start(1) - 1):m.start(1)]
            if m.group(1)[0] == "万" and re.match(r"[\d零一二两三四五六七八九十百千]", before or " "):
                continue  # "5000万总投资": an amount, not 万总
            if r.free(m.start(1), m.end(1)):
                r.put("contact_name", m.group(1), m.start(1), m.end(1))
                return


def _money_value(num: str, unit: str | None) -> Decimal | None:
    """A sum said with its magnitude (300万, 1亿5, 2亿5千万, 500元) in 万元; a bare figure
    ("税收300") could be 元 or 万元 and is not read."""
    text = num + (unit or "")
    if not re.search("[万亿元]", text):
        return None
    try:
        value, _unit = parse_number(text, "money")
    except NumberError:
        return None
    return value


def _money_end(m: re.Match) -> int:
    """Where the sum ends: its unit word, or the figure itself when it says 万/亿 (1亿5)."""
    return m.end("unit") if m.group("unit") else m.end("num")


def _money(r: _Reader) -> None:
    per_mu = None
    for m in _TAX.finditer(r.text):
        value, end = _money_value(m.group("num"), m.group("unit")), _money_end(m)
        if value is None or not r.free(m.start("num"), end):
            continue
        if m.group("kind").startswith("亩均"):
            per_mu = (value, m.start(), end)
        else:
            r.put("annual_tax_wan", value, m.start(), end)
        break
    for m in _INVEST.finditer(r.text):
        value, end = _money_value(m.group("num"), m.group("unit")), _money_end(m)
        if value is not None and r.free(m.start("num"), end):
            r.put("investment_wan", value, m.start(), end)
            break
    r.per_mu = per_mu


def _area(r: _Reader) -> None:
    for m in _AREA.finditer(r.text):
        if not r.free(m.start("a"), m.end()):
            continue
        if re.search(r"[钱每元价]$", r.text[max(0, m.start() - 1):m.start()]) or re.match(
                r"多少|价|单价|租金|\d", r.text[m.end():m.end() + 2]):
            continue  # a price per unit ("多少钱一亩", "每平"), not the size wanted
        try:   # the numbers module reads the span: 3-5千平, 三四十亩, 1万5平米
            low, high, unit = parse_range(r.text[m.start("a"):m.end("unit")], "area")
        except NumberError:
            continue
        if low is None or low <= 0:
            continue
        unit = unit or "sqm"
        qualifier = (m.group("pre") or "") + (m.group("post") or "")
        if high != low:
            values = {"area_min": low, "area_max": high}
        elif re.search(r"以上|起|至少|最少|不少于|不低于|多", qualifier):
            values = {"area_min": low}
        elif re.search(r"以下|以内|最多|不超过|不大于", qualifier):
            values = {"area_max": low}
        else:
            values = {"area_min": low, "area_max": low}
        start = m.start("pre") if m.group("pre") else m.start("a")
        for name, value in values.items():
            r.put(name, value, start, m.end(), take=False)
        r.put("area_unit", unit, start, m.end(), take=False)
        break
    per_mu = r.per_mu
    if per_mu and "annual_tax_wan" not in r.found:
        area_low, area_high = r.found.get("area_min"), r.found.get("area_max")
        if (area_low and area_high and isinstance(area_low.value, Decimal)
                and area_low.value == area_high.value and r.found["area_unit"].value == "mu"):
            r.put("annual_tax_wan", per_mu[0] * area_low.value, per_mu[1], per_mu[2])


def _eia(r: _Reader) -> None:
    no, yes = _EIA_NO.search(r.text), _EIA_YES.search(r.text)
    if no:
        r.put("needs_eia", False, no.start(), no.end())
    elif yes:
        r.put("needs_eia", True, yes.start(), yes.end())


# --- the building's requirements (层高, 单层, 行车, 配电, 承重, 独门独院, 可分割) -------------
# Figures go through crm.inputs.building, the form's own rules: a figure it would refuse
# there (80 m, 500kW, a bare 5 for power) is left unread here.
_FIG = r"(?P<n>\d{1,6}(?:\.\d{1,2})?|[一二两三四五六七八九十百千]{1,6})"
_AT_LEAST = r"\s*[:：]?\s*(?:要求|需要|要|需|至少|最少|不低于|不少于|不小于|在)?\s*"
_UPTO = r"(?:\s*(?:-|—|–|~|～|到|至)\s*\d{1,6}(?:\.\d{1,2})?)?"   # "8-10米": at least 8
_HEIGHT = re.compile(rf"(?:层高|净高|檐高|高度){_AT_LEAST}{_FIG}{_UPTO}\s*(?P<u>米|m|M)(?![²2a-zA-Z])|"
                     rf"{_FIG.replace('<n>', '<n2>')}\s*(?P<u2>米|m|M)(?:以上)?(?:的)?(?:层高|净高)")
_CRANE_WORDS = r"(?:行车|天车|吊车|航车|桁车|起重机)"
_CRANE = re.compile(rf"{_CRANE_WORDS}{_AT_LEAST}{_FIG}\s*(?P<u>吨|t|T)(?![a-zA-Z])|"
                    rf"{_FIG.replace('<n>', '<n2>')}\s*(?P<u2>吨|t|T)\s*(?:的)?\s*{_CRANE_WORDS}")
_CRANE_NO = re.compile(rf"(?:不需要|无需|不用|不要|不需|没有|无)(?:带)?{_CRANE_WORDS}")
_CRANE_ANY = re.compile(_CRANE_WORDS)
_POWER = re.compile(rf"{_FIG}\s*(?P<u>kva|KVA|kVA|Kva|KVa|千伏安|MVA|mva|兆伏安)(?![a-zA-Z])|"
                    # Bare, only as the whole figure of 配电/变压器 ("配电500，"), never "500kW".
                    rf"(?:配电|变压器){_AT_LEAST}{_FIG.replace('<n>', '<n2>')}(?=[\s，,。；;!！]|$)")
_LOAD = re.compile(rf"(?:承重|荷载|载荷){_AT_LEAST}{_FIG}\s*(?P<u>吨|t|T|公斤|kg|KG)"
                   r"(?:\s*(?:/|每)\s*(?:平方米|平方|平米|平|㎡|m2|m²))?|"
                   rf"{_FIG.replace('<n>', '<n2>')}\s*(?P<u2>吨|t|T)\s*(?:的)?(?:承重|荷载)")
_STOREY_ANY = re.compile(r"单层(?:或|、|/|和)?多层(?:都|均)?(?:可以|可|行)|多层(?:也|亦|都)(?:可以|可|行)|"
                         r"楼层不限|单多层(?:都|均)?(?:可以|可|行)|不一定(?:要)?单层")
_STOREY_ONE = re.compile(r"(?<!不要)(?<!不是)单层")
_STANDALONE = re.compile(r"独门独院|独立院子|独立院落|独院")
_DIVISIBLE = re.compile(r"(?<!不)(?:可|能|可以)(?:分割|分租|拆分)")


def _figure(r: _Reader, m: re.Match, name: str) -> bool:
    """Put the figure of a requirement match, read by the form's rules; False if refused."""
    second = m.group("n2") if "n2" in m.re.groupindex else None
    figure = m.group("n") if m.group("n") is not None else second
    unit_names = [g for g in ("u", "u2") if g in m.re.groupindex and m.group(g)]
    unit = m.group(unit_names[0]) if unit_names else ""
    if figure is None or not r.free(m.start(), m.end()):
        return False
    try:
        value = building.read(figure + unit, name)
    except building.MeasureError:
        return False
    r.put(name, value, m.start(), m.end())
    return True


def _requirements(r: _Reader) -> None:
    for name, pattern in (("ceiling_height_m", _HEIGHT), ("power_kva", _POWER),
                          ("floor_load_t", _LOAD)):
        for m in pattern.finditer(r.text):
            if _figure(r, m, name):
                break
    if not _CRANE_NO.search(r.text):
        for m in _CRANE.finditer(r.text):
            if _figure(r, m, "crane_t"):
                r.put("needs_crane", True, m.start(), m.end(), take=False)
                break
        if (hit := _CRANE_ANY.search(r.text)) is not None:
            r.put("needs_crane", True, hit.start(), hit.end(), take=False)
    if (hit := _STOREY_ANY.search(r.text)) is not None:
        r.put("single_storey", False, hit.start(), hit.end(), take=False)
    elif (hit := _STOREY_ONE.search(r.text)) is not None:
        r.put("single_storey", True, hit.start(), hit.end(), take=False)
    for name, pattern in (("standalone", _STANDALONE), ("divisible", _DIVISIBLE)):
        if (hit := pattern.search(r.text)) is not None:
            r.put(name, True, hit.start(), hit.end(), take=False)


def _first(r: _Reader, pattern: re.Pattern):
    return next((m for m in pattern.finditer(r.text) if r.free(m.start(), m.end())), None)


def _deal_and_type(r: _Reader) -> None:
    rent, buy = _first(r, _RENT), _first(r, _BUY)
    if rent and not buy:
        r.put("deal_type", "rent", rent.start(), rent.end(), take=False)
    elif buy and not rent:
        r.put("deal_type", "buy", buy.start(), buy.end(), take=False)
    mentions = sorted((m.start(), kind, m) for kind, pattern in _TYPES
                      if (m := _first(r, pattern)) is not None)
    kinds = [kind for _pos, kind, _m in mentions]
    if not mentions:
        return
    # An office is often part of the need ("厂房带办公"): another type wins over it.
    pick = next((entry for entry in mentions if entry[1] != "office"), mentions[0])
    if len({k for k in kinds if k != "office"}) <= 1:
        r.put("property_type", pick[1], pick[2].start(), pick[2].end(), take=False)


def _region(r: _Reader) -> None:
    """Every place named, read the way every channel reads one (crm.regions.reader)."""
    place = reader.find(r.text, r.free)
    if place is not None:
        r.put("region", place.code or place.text, place.start, place.end, take=False)


def _industry_and_usage(r: _Reader) -> None:
    best = None
    company = r.found.get("company")
    for inside in (False, True):
        # Said in the need first; else the company's own name (某某机器人科技有限公司).
        for code, words in _INDUSTRIES:
            for m in re.finditer(words, r.text, re.IGNORECASE):
                where = (company is not None and company.start <= m.start() and m.end() <= company.end
                         if inside else r.free(m.start(), m.end()))
                if not where or (inside and m.group(0) == "机械"):
                    # a later mention may be free; 机械 alone names no track in a company name
                    continue
                if best is None or m.start() < best[1].start():
                    best = (code, m)
                break
        if best:
            break
    if best:
        r.put("industry", best[0], best[1].start(), best[1].end(), take=False)
    for m in _USAGE.finditer(r.text):
        name = next(g for g in ("u", "v", "w") if m.group(g))
        words = m.group(name)
        if not r.free(m.start(name), m.end(name)) or re.search(
                r"厂房|仓库|土地|办公|这个|什么|环评|生意|项目", words):
            continue
        r.put("usage", words, m.start(name), m.end(name), take=False)
        return


def area_in_mu(sqm: Decimal) -> Decimal:
    return (sqm / Decimal(str(SQM_PER_MU))).quantize(Decimal("0.01"))


# --- onto the inquiry form --------------------------------------------------------------
# API name → InquiryForm field; "region" goes to the code when it is one, else to the text.
_FORM_FIELD = {"wechat": "wechat_id", "needs_eia": "needs_eia"}


def _form_values(found: dict[str, Found]):
    """(InquiryForm field, value, what was found) for each field read."""
    for name, f in found.items():
        value = f.value
        if name == "region":
            field = "region_code" if isinstance(value, str) and regions.is_valid(value) else "region_text"
        elif name == "needs_eia":
            field, value = "needs_eia", "yes" if value else "no"
        elif name == "single_storey":
            field, value = name, "single" if value else "any"
        else:
            field = _FORM_FIELD.get(name, name)
        yield field, value, f


def fill_form(form, text: str, found: dict[str, Found] | None = None) -> dict[str, str]:
    """Put what `text` says (`found`, if the caller has read it already) into an unsubmitted
    InquiryForm; returns {form field: the words it came from} for the page to show beside
    each field. The form is then checked like any other submission when the agent saves it."""
    found = read(text) if found is None else found
    words = {}
    for field, value, f in _form_values(found):
        if not hasattr(form, field):
            continue
        getattr(form, field).data = value
        if isinstance(value, Decimal):  # shown as said: 3000, not 3000.00
            getattr(form, field).raw_data = [format(value.normalize(), "f")]
        words[field] = text[f.start:f.end]
    if not form.message.data:
        form.message.data = text.strip()[:2000]
    return words


def inquiry_from_message(text: str, *, consent: bool, channel: str | None = None
                         ) -> tuple[Inquiry | None, dict[str, list[str]]]:
    """A pasted message (a WeChat chat, a call note) as an Inquiry, checked by the InquiryForm
    as agent entry checks it (a mobile or a WeChat ID); None and the form's messages when it
    lacks what an inquiry needs. The whole text is kept as the message. `consent`: whoever
    passes it vouches that the prospect agreed; `channel`: by default as the text reads
    (crm.intake.channel.pasted_channel)."""
    data: MultiDict[str, str] = MultiDict()
    for field, value, _found in _form_values(read(text)):
        if isinstance(value, bool):
            if value:
                data[field] = "y"   # a ticked box; an unticked one sends nothing
        elif isinstance(value, Decimal):
            data[field] = format(value.normalize(), "f")
        else:
            data[field] = str(value)
    data["message"] = text.strip()[:2000]
    if consent:
        data["consent"] = "y"
    form = InquiryForm(formdata=data, meta={"csrf": False}, mobile_required=False)
    if not form.validate():
        return None, {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    return form.to_inquiry(channel=channel or pasted_channel(text)), {}


def highlighted(text: str, found: dict[str, Found]):
    """The pasted text with every span a field came from (`read(text)`) marked, escaped."""
    from markupsafe import Markup, escape
    spans = sorted({(f.start, f.end) for f in found.values()})
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)
