"""Incremental regeneration benchmark: Django's source as a git repository, three commits.

Commit A (the installed Django tree, committed to a fresh git repository) is generated in
full with an empty analysis cache; commit B changes one .py file; commit C changes 5 % of
the .py files. B and C are generated incrementally (the cache A filled), and, for
reference, C from scratch too. Every generation runs in a fresh subprocess, one after the
other in this one run; a round is repeated (``--repeat``) and the medians are compared,
since one slow generation on a busy machine would otherwise decide the ratio.

    .venv/bin/python -m benchmarks.incremental [--source DIR] [--repeat N]

Target: the one-file change within 25 % of the full generation time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.25
ROWS = {
    "full": "A full (cache empty)",
    "one": "B one file changed, incremental",
    "five": "C 5% changed, incremental",
    "scratch": "C from scratch (no cache)",
}
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}

_CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from jobs.docgen import GenerationOptions, generate_docs
source, out, cache = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
start = time.perf_counter()
generate_docs(source, out, GenerationOptions(repo_name="django/django", analysis_cache=cache))
elapsed = time.perf_counter() - start
meta = json.loads((out / "metadata.json").read_text())
print(json.dumps({"seconds": elapsed, "analysis": meta.get("analysis")}))
"""


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


def generate(checkout: Path, out: Path, cache: Path | None) -> dict[str, object]:
    shutil.rmtree(out, ignore_errors=True)
    # Every generation starts with nothing left to write back: else the one after a big
    # write (A's output, the copied cache) pays for flushing it, and the rows drift apart.
    os.sync()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(checkout), str(out), str(cache or ""), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def touch(path: Path, n: int) -> None:
    """A real edit: a new function at the end of the file."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n\ndef _benchmark_edit_{n}():\n    return {n}\n")


def export(repo: Path, sha: str, dest: Path) -> Path:
    """The tree of ``sha`` as a plain folder, as a job's clone would be."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", sha], cwd=repo, env=GIT_ENV, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="source tree (default: installed Django)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (medians are shown)")
    args = parser.parse_args()
    if args.source is None:
        import django

        args.source = Path(django.__file__).parent
    with tempfile.TemporaryDirectory(prefix="incremental-bench-") as tmp_name:
        tmp = Path(tmp_name)
        repo = tmp / "django"
        shutil.copytree(args.source, repo / "django", ignore=shutil.ignore_patterns("__pycache__"))
        git("init", "--quiet", "--initial-branch=main", cwd=repo)
        git("add", "--all", cwd=repo)
        git("commit", "--quiet", "-m", "A", cwd=repo)
        sha_a = git("rev-parse", "HEAD", cwd=repo)
        py_files = sorted((repo / "django").rglob("*.py"))
        touch(py_files[len(py_files) // 2], 0)
        git("commit", "--quiet", "-am", "B: one file", cwd=repo)
        sha_b = git("rev-parse", "HEAD", cwd=repo)
        step = 20  # every 20th file: 5 %
        changed = py_files[::step]
        for n, path in enumerate(changed, start=1):
            touch(path, n)
        git("commit", "--quiet", "-am", "C: 5% of files", cwd=repo)
        sha_c = git("rev-parse", "HEAD", cwd=repo)

        export(repo, sha_a, tmp / "a")
        export(repo, sha_b, tmp / "b")
        export(repo, sha_c, tmp / "c")
        runs: dict[str, list[dict[str, object]]] = {key: [] for key in ROWS}
        cache, after_a = tmp / "analysis-cache", tmp / "after-a"
        checkouts = {"one": tmp / "b", "five": tmp / "c", "scratch": tmp / "c"}
        for n in range(args.repeat):
            # Each round starts from an empty cache; B and C each start from the cache A
            # filled, as a job for the next commit would. The three after A take turns at
            # running first: on a shared machine, right after a two-core burst is slower.
            for folder in (cache, after_a):
                shutil.rmtree(folder, ignore_errors=True)
            runs["full"].append(generate(tmp / "a", tmp / "out-a", cache))
            shutil.copytree(cache, after_a)
            order = ["one", "five", "scratch"]
            for key in order[n % 3 :] + order[: n % 3]:
                shutil.rmtree(cache, ignore_errors=True)
                shutil.copytree(after_a, cache)
                use = None if key == "scratch" else cache
                runs[key].append(generate(checkouts[key], tmp / f"out-{key}", use))
            print(
                f"round {n + 1}: "
                + ", ".join(f"{key} {float(runs[key][-1]['seconds']):.2f} s" for key in ROWS),  # type: ignore[arg-type]
                flush=True,
            )

    def seconds(key: str, n: int) -> float:
        return float(runs[key][n]["seconds"])  # type: ignore[arg-type]

    # Each round's ratio pairs generations run seconds apart; the median of those ratios
    # is steadier than a ratio of medians taken minutes apart.
    rounds = range(args.repeat)
    ratios = {key: statistics.median(seconds(key, n) / seconds("full", n) for n in rounds)
              for key in ROWS}  # fmt: skip
    print(f"source: {args.source} ({len(py_files)} .py files; C changes {len(changed)})")
    print(f"medians of {args.repeat} rounds, each generation in a fresh process")
    print(f"{'generation':<32}{'seconds':>9}{'ratio':>8}  analysis")
    for key, label in ROWS.items():
        median = statistics.median(seconds(key, n) for n in rounds)
        analysis = runs[key][-1]["analysis"]
        print(f"{label:<32}{median:>9.2f}{ratios[key]:>8.2f}  {analysis}")
    spread = sorted(seconds("one", n) / seconds("full", n) for n in rounds)
    print(f"B/A by round: {', '.join(f'{ratio:.2f}' for ratio in spread)} (sorted)")
    ok = ratios["one"] <= TARGET
    print(f"target: one-file change <= {TARGET:.2f} x full: {'OK' if ok else 'MISSED TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
