"""How much of each repository's public API the analysis extracts (a figure, not a test).

For each repository folder, parses every file the generator would and counts, from the
component model itself (not the rendered pages):

- methods: public components nested in a class-like one (`Foo.bar`, `app.use`);
- members: fields, properties, enum variants, embedded types listed under a component;
- overloads: further declarations folded into one component (Java/C#/TS overloads,
  Python `@overload` stubs, setters);
- re-exports: names a file makes public although they are defined elsewhere;
- variables: public module-level constants and variables.

Fields this generator version does not have count as zero, so the same script measures an
older checkout too (put its folder first on PYTHONPATH):

    .venv/bin/python -m benchmarks.api_members /work/repos/*
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on the path and its queue.py would hide the
# standard library's.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from jobs.docgen.parsers import parse_source  # noqa: E402
from jobs.docgen.scan import read_repo_file, scan_repository  # noqa: E402

FIELDS = ("components", "methods", "members", "overloads", "reexports", "variables")


def count(root: str) -> dict[str, int]:
    scan = scan_repository(root, max_files=20_000, max_file_bytes=1_000_000, include=[], exclude=[])
    totals = dict.fromkeys(FIELDS, 0)
    for cand in scan.candidates:
        data = read_repo_file(root, root, cand.rel, 1_000_000)
        if data is None:
            continue
        info = parse_source(cand.rel, cand.language, data.decode("utf-8", "replace"), data)
        totals["reexports"] += len(getattr(info, "reexports", ()))
        totals["variables"] += len(getattr(info, "variables", ()))
        for comp in info.components:
            totals["components"] += 1
            if comp.name.startswith("_") and not comp.name.startswith("__"):
                continue
            if getattr(comp, "private", False):
                continue
            if comp.parent:
                totals["methods"] += 1
            totals["members"] += len(getattr(comp, "members", ()))
            totals["overloads"] += len(getattr(comp, "overloads", ()))
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("repos", nargs="+", type=Path, help="repository folders")
    args = parser.parse_args()
    print(f"{'repository':28} " + " ".join(f"{f:>10}" for f in FIELDS) + f" {'public API':>10}")
    for repo in args.repos:
        totals = count(str(repo.resolve()))
        api = sum(totals[f] for f in FIELDS if f != "components")
        row = " ".join(f"{totals[f]:>10,}" for f in FIELDS)
        print(f"{repo.name:28} {row} {api:>10,}", flush=True)


if __name__ == "__main__":
    main()
