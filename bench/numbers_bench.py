"""Numbers as people say them (issue 28): which reader to trust, and the reader's cost on
hostile input (issue 27).

1. The issue's cases through three readers: the hand-written parser that crm/inputs/numbers.py
   had before (commit a461759, kept here verbatim as `old_hand_parser`), cn2an 0.5.24
   ("smart" mode) alone, and jionlp 1.5.31's parse_money (if importable; it is not a
   dependency: `pip install --target /tmp/jio jionlp` and run with PYTHONPATH=/tmp/jio), and
   the module as it is now (cn2an behind the shorthands it lacks, ranges, units).
2. Every figure with its unit in the corpora (tests/fixtures/messages*.jsonl): how many the
   old and the new module read to the value the corpus expects.
3. The message reader on 100 KB of hostile text (spaces, digits, letters): wall time.

Run: .venv/bin/python -m bench.numbers_bench
"""
import json
import re
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (text, kind, expected value in ㎡/亩 or 万元; None = must be refused)
CASES = [
    ("3万5", "money", Decimal("3.5")), ("15万5", "money", Decimal("15.5")),
    ("一万五", "area", Decimal(15000)), ("1万5平", "area", Decimal(15000)),
    ("1,200㎡", "area", Decimal(1200)), ("1万5平米", "area", Decimal(15000)),
    ("2亿5千万", "money", Decimal(25000)), ("1亿5", "money", Decimal(15000)),
    ("两亿五", "money", Decimal(25000)), ("一万二平", "area", Decimal(12000)),
    ("3-5千平", "area", (Decimal(3000), Decimal(5000))), ("三四十亩", "area", (Decimal(30), Decimal(40))),
    ("5000方", "area", Decimal(5000)), ("2万方", "area", Decimal(20000)),
    ("3000-5000平", "area", (Decimal(3000), Decimal(5000))),
    ("50元", "money", Decimal("0.005")), ("叁万伍仟元", "money", Decimal("3.5")),
    ("万", "area", None), ("1,2,3", "area", None), ("一千多", "area", None),
    ("三千五", "area", Decimal(3500)), ("1.5亿", "money", Decimal(15000)),
]


def old_hand_parser(text: str, kind: str):
    """crm/inputs/numbers.py as it was (one figure, 万元 for money)."""
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
    small, large = {"十": 10, "百": 100, "千": 1000}, {"万": 10**4, "亿": 10**8}
    text = text.replace(",", "")
    factor = Decimal(1)
    for word, f in (("平方米", 1), ("平米", 1), ("平", 1), ("㎡", 1), ("亩", 1)) if kind == "area" else (
            ("亿元", Decimal(10000)), ("亿", Decimal(10000)), ("万元", 1), ("万", 1),
            ("元", Decimal("0.0001"))):
        if text.endswith(word):
            text, factor = text[: -len(word)], Decimal(f)
            break
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return Decimal(text) * factor
    tokens = re.findall(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]", text)
    if "".join(tokens) != text or not tokens:
        raise ValueError(text)
    total, section, current, last_small = Decimal(0), Decimal(0), None, None
    for token in tokens:
        if token in digits or token[0].isdigit():
            if current is not None:
                raise ValueError(text)
            current = Decimal(digits[token]) if token in digits else Decimal(token)
        elif token in small:
            section += (current if current is not None else 1) * small[token]
            current, last_small = None, small[token]
        else:
            section += current if current is not None else 0
            section = section or Decimal(1)
            total += section * large[token]
            section, current, last_small = Decimal(0), None, None
    if current is not None:
        if last_small and current < 10:
            current *= Decimal(last_small) / 10
        section += current
    return (total + section) * factor


def cn2an_alone(text: str, kind: str):
    import cn2an
    number = re.sub(r"(平方米|平米|平|㎡|亩|方|元)$", "", text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = Decimal(str(cn2an.cn2an(number, "smart")))
    if kind == "money" and (text.endswith("元") or re.search("[万亿]", number)):
        value /= 10000
    return value


def jionlp_money(text: str, kind: str):
    import jionlp
    got = jionlp.parse_money(text if text.endswith("元") else text + "元")["num"]
    if isinstance(got, list):
        return tuple(Decimal(v) / (10000 if kind == "money" else 1) for v in got)
    return Decimal(got) / (10000 if kind == "money" else 1)


def module_now(text: str, kind: str):
    from crm.inputs.numbers import parse_range
    low, high, _unit = parse_range(text, kind)
    return low if low == high else (low, high)


def _same(got, want) -> bool:
    if want is None:
        return False
    if isinstance(want, tuple):
        return (isinstance(got, tuple) and len(got) == len(want)
                and all(abs(g - w) < Decimal("0.0001") for g, w in zip(got, want, strict=True)))
    return not isinstance(got, tuple) and abs(Decimal(got) - want) < Decimal("0.0001")


def score(reader) -> tuple[int, list[str]]:
    right, wrong = 0, []
    for text, kind, want in CASES:
        try:
            got = reader(text, kind)
        except Exception:   # any refusal counts as a refusal
            got = None
        if (got is None and want is None) or (got is not None and _same(got, want)):
            right += 1
        else:
            wrong.append(f"{text}→{got}")
    return right, wrong


def corpus_figures(reader) -> tuple[int, int]:
    """Areas of the corpora: the figure-with-unit span each message states, read by `reader`."""
    from crm.intake.message import _AREA
    right = total = 0
    for path in sorted((ROOT / "tests" / "fixtures").glob("messages*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            want = row["expect"].get("area_min") or row["expect"].get("area_max")
            match = _AREA.search(row["text"])
            if want is None or match is None:
                continue
            total += 1
            span = row["text"][match.start("a"):match.end("unit")]
            try:
                got = reader(span, "area")
            except Exception:
                continue
            got = got[0] if isinstance(got, tuple) else got
            right += abs(Decimal(got) - Decimal(str(want))) < Decimal("0.01")
    return right, total


def hostile() -> None:
    from crm.intake import message
    for name, text in (("1 + 100,000 spaces + 平", "1" + " " * 100_000 + "平"),
                       ("100,000 letters", "a" * 100_000), ("100,000 digits + 平", "3" * 100_000 + "平"),
                       ("约 × 50,000", "约 " * 50_000), ("税收 + spaces + 1万", "税收" + " " * 100_000 + "1万")):
        start = time.perf_counter()
        message.read(text)
        print(f"  {name:26} {1000 * (time.perf_counter() - start):7.1f} ms")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from config import TestConfig
    from crm import create_app, parks
    from crm.extensions import db
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = "sqlite://"
    create_app(config).app_context().push()
    db.create_all()
    parks.seed_defaults()
    readers = [("old hand parser", old_hand_parser), ("cn2an alone", cn2an_alone),
               ("jionlp parse_money", jionlp_money), ("crm.inputs.numbers now", module_now)]
    print(f"issue cases ({len(CASES)}):")
    for name, reader in readers:
        right, wrong = score(reader)
        print(f"  {name:24} {right:2}/{len(CASES)}  wrong: {', '.join(wrong) or '-'}")
    print("area figures in the corpora:")
    for name, reader in readers:
        if name.startswith("jionlp"):
            continue
        right, total = corpus_figures(reader)
        print(f"  {name:24} {right}/{total}")
    print("message reader on hostile input:")
    hostile()


if __name__ == "__main__":
    main()
