"""Peak memory of checking (upload) and rendering (task) one listing photo, before and after.

    .venv/bin/python bench/photo_memory.py                      # this tree against /work/main
    .venv/bin/python bench/photo_memory.py --before /path/to/old/checkout

Each measurement runs in a fresh process: the image file is made here, the child imports
crm.listings.images from the given tree, then reports how far its peak RSS rose (VmHWM, reset
through /proc/self/clear_refs just before) during `images.inspect` (the upload request's check)
or `images.render` (the task's web copy and thumbnail), and the CPU seconds it took. Both trees get
the same pixel cap (--cap) so the pipelines are compared on the same file; the default cap of each tree is what decides
whether a file is accepted at all. Not a test: figures in bench/README.md.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import gc, json, sys, time
sys.path.insert(0, {root!r})
from flask import Flask
app = Flask("bench")
app.config.update(CRM_IMAGE_MAX_PIXELS={cap}, CRM_IMAGE_MAX_BYTES=10**9)
from crm.listings import images
data = open({path!r}, "rb").read()
def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
with app.app_context():
    gc.collect()
    open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from now
    base = kib("VmRSS")
    started = time.process_time()
    try:
        getattr(images, {step!r})(data)
        outcome = "ok"
    except images.Refused as refused:
        outcome = "refused: " + refused.reason
    peak = kib("VmHWM")
print(json.dumps({{"mib": (peak - base) / 1024, "cpu": time.process_time() - started,
                  "outcome": outcome}}))
"""

CASES = [  # name, size, format, mode
    ("7000x7000 PNG (the review's)", (7000, 7000), "PNG", "RGB"),
    ("4900x4900 PNG RGBA (24 MP)", (4900, 4900), "PNG", "RGBA"),
    ("6000x4000 JPEG (24 MP)", (6000, 4000), "JPEG", "RGB"),
    ("8000x6000 JPEG (48 MP)", (8000, 6000), "JPEG", "RGB"),
]


def make(folder: Path, size, fmt: str, mode: str) -> Path:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    path = folder / f"{size[0]}x{size[1]}-{mode}.{fmt.lower()}"
    image.save(path, fmt)
    return path


def measure(root: Path, path: Path, step: str, cap: int) -> dict:
    code = CHILD.format(root=str(root), cap=cap, path=str(path), step=step)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="/work/main", type=Path)
    parser.add_argument("--after", default=ROOT, type=Path)
    parser.add_argument("--cap", default=60_000_000, type=int,
                        help="pixel cap given to both trees, to compare the same files")
    args = parser.parse_args()
    print(f"{'file':32} {'step':8} {'before MiB':>10} {'after MiB':>10} "
          f"{'before s':>8} {'after s':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name, size, fmt, mode in CASES:
            path = make(Path(folder), size, fmt, mode)
            for step in ("inspect", "render"):
                before = measure(args.before, path, step, args.cap)
                after = measure(args.after, path, step, args.cap)
                print(f"{name:32} {step:8} {before['mib']:10.0f} {after['mib']:10.0f} "
                      f"{before['cpu']:8.2f} {after['cpu']:8.2f}"
                      + ("" if before["outcome"] == after["outcome"] == "ok"
                         else f"  ({before['outcome']} / {after['outcome']})"))


if __name__ == "__main__":
    main()
