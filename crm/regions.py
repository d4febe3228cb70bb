"""Province → city → district/park tree of the places in DOMAIN.md.

Codes are stable and hierarchical (a child's code starts with its parent's), so
"region X or anywhere under it" is a prefix match usable by an index.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    zh: str
    en: str

    @property
    def depth(self) -> int:
        return self.code.count(".")

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None


_TREE = [
    ("sh", "上海", "Shanghai", [
        ("songjiang", "松江区", "Songjiang", [
            ("g60", "G60科创走廊", "G60 corridor"),
            ("epz", "出口加工区", "Export processing zone"),
            ("dongjing", "洞泾", "Dongjing"), ("sijing", "泗泾", "Sijing"),
            ("xinqiao", "新桥", "Xinqiao"), ("yongfeng", "永丰", "Yongfeng")]),
        ("lingang", "临港新片区", "Lingang", []),
        ("baimaoling", "白茅岭农场", "Baimaoling farm", []),
    ]),
    ("zj", "浙江", "Zhejiang", [
        ("huzhou", "湖州", "Huzhou", [
            ("changxing", "长兴", "Changxing"), ("anji", "安吉", "Anji"),
            ("wuxing", "吴兴", "Wuxing"), ("nantaihu", "南太湖新区", "Nantaihu new area")]),
        ("jiaxing", "嘉兴", "Jiaxing", []),
        ("hangzhou", "杭州", "Hangzhou", []),
        ("jinhua", "金华", "Jinhua", [("yiwu", "义乌", "Yiwu")]),
        ("shaoxing", "绍兴", "Shaoxing", []),
        ("quzhou", "衢州", "Quzhou", []),
    ]),
    ("js", "江苏", "Jiangsu", [
        ("suzhou", "苏州", "Suzhou", [
            ("sip", "苏州工业园区", "Suzhou Industrial Park"), ("changshu", "常熟", "Changshu")]),
        ("changzhou", "常州", "Changzhou", [("liyang", "溧阳", "Liyang")]),
        ("wuxi", "无锡", "Wuxi", [("yixing", "宜兴", "Yixing")]),
    ]),
    ("ah", "安徽", "Anhui", [
        ("hefei", "合肥", "Hefei", []),
        ("wuhu", "芜湖", "Wuhu", []),
        ("xuancheng", "宣城", "Xuancheng", [
            ("guangde", "广德", "Guangde"), ("langxi", "郎溪", "Langxi")]),
    ]),
]


def _flatten() -> dict[str, Region]:
    out: dict[str, Region] = {}
    for pcode, pzh, pen, cities in _TREE:
        out[pcode] = Region(pcode, pzh, pen)
        for ccode, czh, cen, districts in cities:
            code = f"{pcode}.{ccode}"
            out[code] = Region(code, czh, cen)
            for dcode, dzh, den in districts:
                out[f"{code}.{dcode}"] = Region(f"{code}.{dcode}", dzh, den)
    return out


REGIONS: dict[str, Region] = _flatten()


def full_name(code: str | None, locale: str = "zh_CN") -> str:
    """'浙江 / 湖州 / 长兴' for a district code; '' for unknown codes."""
    if not code or code not in REGIONS:
        return ""
    parts = code.split(".")
    names = []
    for i in range(1, len(parts) + 1):
        region = REGIONS[".".join(parts[:i])]
        names.append(region.en if locale == "en" else region.zh)
    return " / ".join(names)


def choices(locale: str = "zh_CN") -> list[tuple[str, str]]:
    """Options for a <select>, indented by depth so the tree reads at a glance."""
    return [(code, "\u3000" * r.depth + (r.en if locale == "en" else r.zh))
            for code, r in REGIONS.items()]


def within(code: str, ancestor: str) -> bool:
    return code == ancestor or code.startswith(ancestor + ".")
