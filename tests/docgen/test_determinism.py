"""The same commit gives byte-identical docs, whatever the hash seed (issue 7, point 8)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.gitserve import init_repo

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
GENERATE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from jobs.docgen import GenerationOptions, generate_docs\n"
    "generate_docs(Path(sys.argv[1]), Path(sys.argv[2]), GenerationOptions(repo_name='poly'))\n"
)


def _generate(repo: Path, out: Path, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-c", GENERATE, str(repo), str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


def test_same_commit_same_bytes_across_hash_seeds(tmp_path: Path) -> None:
    # Every fixture language in one repository, plus tests and examples, as a git checkout.
    files: dict[str, str | bytes] = {}
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file():
            files[path.relative_to(FIXTURES).as_posix()] = path.read_bytes()
    files["python/tests/test_shop.py"] = "from shop import cart\n\ndef test_cart():\n    cart\n"
    files["javascript/examples/demo.js"] = "function demo() { return 1; }\n"
    repo = tmp_path / "repo"
    sha = init_repo(repo, files)

    outs = [tmp_path / "out-1", tmp_path / "out-2"]
    _generate(repo, outs[0], "1")
    _generate(repo, outs[1], "4242")

    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    assert len(names) > 10
    for name in names:
        first = (outs[0] / name).read_bytes()
        second = (outs[1] / name).read_bytes()
        if name == "metadata.json":
            meta = [json.loads(first), json.loads(second)]
            for m in meta:
                m["generation_info"].pop("timestamp")
            assert meta[0] == meta[1]
            assert meta[0]["generation_info"]["commit_id"] == sha
            continue
        assert first == second, f"{name} differs between PYTHONHASHSEED=1 and 4242"
    shutil.rmtree(outs[1])


def test_helper_processes_give_the_same_docs(tmp_path: Path, monkeypatch) -> None:
    from jobs.docgen import GenerationOptions, generate_docs, pipeline

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES, repo)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    monkeypatch.setattr(pipeline, "_helper_processes", lambda count, minimum, idle=None: 0)
    generate_docs(repo, serial, GenerationOptions(repo_name="poly"))
    # Two forked helpers take two slices of the files, then of the pages; this process
    # does the first slice of each. The page helpers fork while the writing process runs.
    monkeypatch.setattr(pipeline, "_helper_processes", lambda count, minimum, idle=None: 2)
    monkeypatch.setattr(pipeline, "WRITER_PROCESS_MIN_PAGES", 1)
    generate_docs(repo, parallel, GenerationOptions(repo_name="poly"))
    names = sorted(p.name for p in serial.iterdir())
    assert names == sorted(p.name for p in parallel.iterdir())
    for name in names:
        if name != "metadata.json":
            assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name
