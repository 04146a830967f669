"""Speed and memory benchmark for the documentation generator.

Generates the docs for Django's own source tree and, in the same run, times a bare
read + `ast.parse` of the same .py files. Each measurement runs in a fresh subprocess so that
its peak RSS (ru_maxrss) is its own.

    .venv/bin/python benchmarks/docgen.py [--repeat N (default 5)] [--source DIR]

Target: generation within 2x the bare-parse time and under 300 MB peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.0
TARGET_MB = 300.0

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, source = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, sys.argv[3])
if mode == "parse":
    import ast
    files = sorted(p for p in source.rglob("*.py") if not p.is_symlink())
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        ast.parse(path.read_bytes().decode("utf-8", "replace"))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    extra = {"files": len(files)}
else:
    from jobs.docgen import GenerationOptions, generate_docs
    out = Path(sys.argv[4])
    start, cpu = time.perf_counter(), time.process_time()
    result = generate_docs(source, out, GenerationOptions(repo_name="django"))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    extra = {
        "pages": len(result.files_generated),
        "components": result.component_count,
        "modules": result.module_count,
    }
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_mb": peak_kb / 1024, **extra}))
"""


def _measure(mode: str, source: Path, out: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(source), str(ROOT), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best kept)")
    parser.add_argument("--source", type=Path, help="source tree (default: installed Django)")
    args = parser.parse_args()
    if args.source is None:
        import django

        args.source = Path(django.__file__).parent
    parse_runs, gen_runs = [], []
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        for i in range(args.repeat):
            parse_runs.append(_measure("parse", args.source, Path(tmp)))
            gen_runs.append(_measure("generate", args.source, Path(tmp) / f"out{i}"))
    parse = min(parse_runs, key=lambda r: r["seconds"])
    gen = min(gen_runs, key=lambda r: r["seconds"])
    ratio = gen["seconds"] / parse["seconds"]
    cpu_ratio = min(r["cpu"] for r in gen_runs) / min(r["cpu"] for r in parse_runs)
    peak = max(r["peak_mb"] for r in gen_runs)
    print(f"source:            {args.source.name} ({int(parse['files'])} .py files)")
    print(
        f"bare ast.parse:    {parse['seconds']:.2f} s wall, {parse['cpu']:.2f} s CPU "
        f"(peak {parse['peak_mb']:.0f} MB)"
    )
    print(
        f"generate_docs:     {gen['seconds']:.2f} s wall, {gen['cpu']:.2f} s CPU "
        f"(peak {peak:.0f} MB, {int(gen['components'])} components, "
        f"{int(gen['modules'])} module pages)"
    )
    print(
        f"all runs (wall s): parse {[round(r['seconds'], 2) for r in parse_runs]}, "
        f"generate {[round(r['seconds'], 2) for r in gen_runs]}"
    )
    print(
        f"ratio:             {ratio:.2f}x wall (best of {args.repeat}), {cpu_ratio:.2f}x CPU "
        f"(target <= {TARGET_RATIO}x)"
    )
    ok = ratio <= TARGET_RATIO and peak < TARGET_MB
    print("result:            " + ("OK" if ok else "MISSED TARGET"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
