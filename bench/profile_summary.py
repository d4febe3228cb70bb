"""Summarise a py-spy raw (collapsed) profile from bench/load_bench.py --profile: where time goes.

Usage:  .venv/bin/python bench/profile_summary.py DIR/api-web.txt [--top 40] [--match crm/]
        .venv/bin/python bench/profile_summary.py DIR/api-worker.txt --root route_lead

Only samples whose stack passes through --root count (Flask's wsgi_app: inside a request;
route_lead: inside the routing task). py-spy samples what each process is doing, running or
not, so a process waiting for PostgreSQL, Redis or a free core shows under the frame that
waits. Prints each frame's inclusive share of those samples, then the leaf frames.
"""
import argparse
import re
from collections import Counter

_LINE = re.compile(r"^(.*) (\d+)$")
_LINENO = re.compile(r":\d+\)$")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only frames whose text contains this")
    parser.add_argument("--root", default="wsgi_app",
                        help="count stacks through this function (route_lead for the worker)")
    args = parser.parse_args()

    inclusive: Counter = Counter()
    leaf: Counter = Counter()
    total = 0
    with open(args.profile, encoding="utf-8") as handle:
        for line in handle:
            match = _LINE.match(line.rstrip("\n"))
            if not match:
                continue
            frames = [_LINENO.sub(")", f) for f in match.group(1).split(";")]
            count = int(match.group(2))
            if not any(f.split(" ", 1)[0].rsplit(".", 1)[-1] == args.root for f in frames):
                continue
            total += count
            for frame in set(frames):
                inclusive[frame] += count
            leaf[frames[-1]] += count
    print(f"{total} samples inside {args.root}")
    print(f"{'incl %':>7}  frame")
    shown = 0
    for frame, count in inclusive.most_common():
        if args.match and args.match not in frame:
            continue
        print(f"{100 * count / total:7.1f}  {frame}")
        shown += 1
        if shown >= args.top:
            break
    print(f"\n{'self %':>7}  leaf frame")
    for frame, count in leaf.most_common(15):
        print(f"{100 * count / total:7.1f}  {frame}")


if __name__ == "__main__":
    main()
