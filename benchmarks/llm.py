"""Model-written prose: what a run costs, and what the answer cache saves on the next commit.

Starts llama.cpp's OpenAI-compatible server (llama-cpp-python) with SmolLM2-135M on a
loopback port, documents a fixture repository with model prose, then documents it again
after changing one file (same answer cache, as the next commit of a tracked repository
would be). Prints, for both runs: requests sent, answers reused, tokens in and out, wall
time, and the share of it spent waiting on the model versus everything else.

    .venv/bin/python -m benchmarks.llm [--repo DIR] [--change FILE] [--threads N]

Without --repo it uses the tests' three-module fixture (tests/support/prose_repo.py) and
changes one file of its `app/util` module. With --repo, --change names a file (relative to
the repository) to which a comment line is appended for the second run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobs.docgen import GenerationOptions, generate_docs  # noqa: E402
from jobs.docgen.prose import ProseSettings  # noqa: E402
from tests.support.gitserve import write_files  # noqa: E402
from tests.support.llamaserve import LlamaServer  # noqa: E402
from tests.support.prose_repo import CHANGED_UTIL, PROSE_REPO  # noqa: E402


def run_once(repo: Path, out: Path, url: str, cache: Path, max_tokens: int) -> dict[str, Any]:
    prose = ProseSettings(
        base_url=url,
        model=LlamaServer.ALIAS,
        cache_dir=cache,
        timeout=600,
        concurrency=1,  # llama.cpp's server answers one request at a time anyway
        max_output_tokens=max_tokens,
        max_input_chars=2500,
    )
    start = time.perf_counter()
    result = generate_docs(repo, out, GenerationOptions(repo_name=repo.name, prose=prose))
    wall = time.perf_counter() - start
    report = result.prose
    assert report is not None
    return {
        "calls": report.calls_made,
        "reused": report.calls_reused,
        "tokens_in": report.tokens_in,
        "tokens_out": report.tokens_out,
        "pages": report.pages_total,
        "with_prose": report.pages_with_prose,
        "wall": wall,
        "model": report.model_seconds,
        "asked": ", ".join(sorted(report.asked)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="repository folder (default: the fixture)")
    parser.add_argument("--change", help="file to change for the second run (with --repo)")
    parser.add_argument("--threads", type=int, default=2, help="model server threads")
    parser.add_argument("--max-tokens", type=int, default=160, help="output tokens per answer")
    args = parser.parse_args()
    if args.repo and not args.change:
        parser.error("--repo needs --change FILE")

    with tempfile.TemporaryDirectory(prefix="codewiki-llm-bench-") as tmp:
        work = Path(tmp)
        first_repo = work / "repo-1"
        if args.repo:
            shutil.copytree(args.repo, first_repo, ignore=shutil.ignore_patterns(".git"))
        else:
            write_files(first_repo, PROSE_REPO)
        second_repo = work / "repo-2"
        shutil.copytree(first_repo, second_repo)
        if args.repo:
            target = second_repo / args.change
            target.write_text(target.read_text() + "\n# changed for the benchmark\n")
        else:
            write_files(second_repo, CHANGED_UTIL)

        server = LlamaServer(work / "server.log", threads=args.threads)
        try:
            cache = work / "llm-cache"
            rows = [
                (name, run_once(repo, work / f"out-{i}", server.url, cache, args.max_tokens))
                for i, (name, repo) in enumerate(
                    [("first commit", first_repo), ("one file changed", second_repo)]
                )
            ]
        finally:
            server.stop()

    print(f"Model: {LlamaServer.ALIAS} (llama.cpp server, {args.threads} threads)")
    print()
    print(
        "| run | pages | with prose | requests | reused | tokens in | tokens out "
        "| wall | waiting on model | everything else | model share |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        other = r["wall"] - r["model"]
        share = r["model"] / r["wall"] if r["wall"] else 0.0
        print(
            f"| {name} | {r['pages']:.0f} | {r['with_prose']:.0f} | {r['calls']:.0f} "
            f"| {r['reused']:.0f} | {r['tokens_in']:,.0f} | {r['tokens_out']:,.0f} "
            f"| {r['wall']:.2f} s | {r['model']:.2f} s | {other:.2f} s | {share:.0%} |"
        )
    print()
    for name, r in rows:
        print(f"{name}: asked about {r['asked'] or 'nothing'}")
    first, second = rows[0][1], rows[1][1]
    if second["wall"]:
        print()
        print(
            f"Second run: {second['calls']:.0f} of {first['calls']:.0f} requests, "
            f"{first['wall'] / second['wall']:.2f}x faster than the first."
        )


if __name__ == "__main__":
    main()
