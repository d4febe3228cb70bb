"""The dotted codes of the hand-written tree used before the national divisions (until
migration e2c7a5d3b914), and the code each became. Partners may still send an old code: the
API and forms accept it and store the new one. The migration keeps its own frozen copy."""

LEGACY_CODES = {
    "sh": "31", "sh.songjiang": "310117",
    "sh.songjiang.g60": "310117P01", "sh.songjiang.epz": "310117P02",
    "sh.songjiang.dongjing": "310117P03", "sh.songjiang.sijing": "310117P04",
    "sh.songjiang.xinqiao": "310117P05", "sh.songjiang.yongfeng": "310117P06",
    "sh.lingang": "310115P01", "sh.baimaoling": "31P01",
    "zj": "33", "zj.huzhou": "3305", "zj.huzhou.changxing": "330522",
    "zj.huzhou.anji": "330523", "zj.huzhou.wuxing": "330502",
    "zj.huzhou.nantaihu": "330502P01", "zj.jiaxing": "3304", "zj.hangzhou": "3301",
    "zj.jinhua": "3307", "zj.jinhua.yiwu": "330782", "zj.shaoxing": "3306", "zj.quzhou": "3308",
    "js": "32", "js.suzhou": "3205", "js.suzhou.sip": "320576",
    "js.suzhou.changshu": "320581", "js.changzhou": "3204", "js.changzhou.liyang": "320481",
    "js.wuxi": "3202", "js.wuxi.yixing": "320282",
    "ah": "34", "ah.hefei": "3401", "ah.wuhu": "3402", "ah.xuancheng": "3418",
    "ah.xuancheng.guangde": "341882", "ah.xuancheng.langxi": "341821",
}

# The parks and towns of the old tree that the national divisions do not list; seeded as
# admin-managed places by the migration and the demo data: (code, name, English, aliases).
SEED_PARKS = (
    ("310117P01", "G60科创走廊", "G60 Science and Innovation Corridor", "G60,G60走廊"),
    ("310117P02", "出口加工区", "Songjiang Export Processing Zone", "松江出口加工区"),
    ("310117P03", "洞泾镇", "Dongjing", "洞泾"),
    ("310117P04", "泗泾镇", "Sijing", "泗泾"),
    ("310117P05", "新桥镇", "Xinqiao", "新桥"),
    ("310117P06", "永丰街道", "Yongfeng", "永丰"),
    ("310115P01", "临港新片区", "Lingang New Area", "临港,临港新区"),
    ("31P01", "白茅岭农场", "Baimaoling Farm", "白茅岭"),
    ("330502P01", "南太湖新区", "Nantaihu New Area", "南太湖"),
)
