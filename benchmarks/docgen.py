"""Speed and memory benchmark for the documentation generator.

Generates the docs for Django's own source tree and, in the same run, times a bare
read + `ast.parse` of the same .py files. Each measurement runs in a fresh subprocess so that
its peak RSS (ru_maxrss) is its own.

    .venv/bin/python benchmarks/docgen.py [--repeat N (default 5)] [--source DIR] [--other DIR]

Target: generation within 2x the bare-parse time and under 300 MB peak memory. A second line
does the same for a large non-Python repository (`--other`, gson by default) against a bare
tree-sitter parse of the files the generator analyses; it is printed for reference.
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
DEFAULT_OTHER = Path("/work/repos/google+gson")

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
elif mode == "tsparse":
    # The bare parse for other languages: every file the generator would analyse, read and
    # parsed by its tree-sitter grammar, nothing else.
    from jobs.docgen.languages import language_for
    from jobs.docgen.parsers.treesitter import _parser
    from jobs.docgen.scan import scan_repository
    scan = scan_repository(str(source), max_files=5000, max_file_bytes=1_000_000,
                           include=[], exclude=[])
    cands = [c for c in scan.candidates if c.language != "python"]
    for c in cands:
        _parser(c.language)  # grammar loading is not parsing
    start, cpu = time.perf_counter(), time.process_time()
    for c in cands:
        _parser(c.language).parse((source / c.rel).read_bytes())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    extra = {"files": len(cands)}
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
# Parsing helpers (forked processes) count too: their peak, added to this process's.
helper_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu += children.ru_utime + children.ru_stime
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_mb": (peak_kb + helper_kb) / 1024,
                  **extra}))
"""


def _measure(mode: str, source: Path, out: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(source), str(ROOT), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _line(
    label: str, mode: str, source: Path, repeat: int, tmp: Path, target: float | None
) -> bool:
    """Measure bare parse and generation alternately; print one block; True if on target."""
    parse_runs, gen_runs = [], []
    for i in range(repeat):
        parse_runs.append(_measure(mode, source, tmp))
        gen_runs.append(_measure("generate", source, tmp / f"{label}-out{i}"))
    parse = min(parse_runs, key=lambda r: r["seconds"])
    gen = min(gen_runs, key=lambda r: r["seconds"])
    ratio = gen["seconds"] / parse["seconds"]
    cpu_ratio = min(r["cpu"] for r in gen_runs) / min(r["cpu"] for r in parse_runs)
    peak = max(r["peak_mb"] for r in gen_runs)
    bare = "bare ast.parse:" if mode == "parse" else "bare tree-sitter:"
    print(f"== {label}: {source} ({int(parse['files'])} files)")
    print(
        f"{bare:<19}{parse['seconds']:.2f} s wall, {parse['cpu']:.2f} s CPU "
        f"(peak {parse['peak_mb']:.0f} MB)"
    )
    print(
        f"generate_docs:     {gen['seconds']:.2f} s wall, {gen['cpu']:.2f} s CPU incl. helpers "
        f"(peak {peak:.0f} MB incl. helpers, {int(gen['components'])} components, "
        f"{int(gen['modules'])} module pages)"
    )
    print(
        f"all runs (wall s): parse {[round(r['seconds'], 2) for r in parse_runs]}, "
        f"generate {[round(r['seconds'], 2) for r in gen_runs]}"
    )
    goal = f"target <= {target}x" if target else "no target: for reference"
    print(f"ratio:             {ratio:.2f}x wall (best of {repeat}), {cpu_ratio:.2f}x CPU ({goal})")
    ok = (target is None or ratio <= target) and peak < TARGET_MB
    print("result:            " + ("OK" if ok else "MISSED TARGET"))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (best kept)")
    parser.add_argument("--source", type=Path, help="source tree (default: installed Django)")
    parser.add_argument(
        "--other",
        type=Path,
        default=DEFAULT_OTHER,
        help=f"a large non-Python repository for the second line (default: {DEFAULT_OTHER}; "
        "skipped when missing)",
    )
    args = parser.parse_args()
    if args.source is None:
        import django

        args.source = Path(django.__file__).parent
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        ok = _line("django", "parse", args.source, args.repeat, Path(tmp), TARGET_RATIO)
        if args.other and args.other.is_dir():
            _line(args.other.name, "tsparse", args.other, args.repeat, Path(tmp), None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
