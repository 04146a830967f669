"""Incremental regeneration: per-file analysis reused by blob id, docs identical to scratch."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from jobs.docgen import GenerationOptions, analysis_cache, generate_docs

FIXTURES = Path(__file__).parent / "fixtures"


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def comparable(docs: Path) -> dict[str, bytes]:
    """Every file byte for byte; metadata.json without its run-specific fields."""
    files = tree(docs)
    metadata = json.loads(files.pop("metadata.json"))
    metadata["generation_info"].pop("timestamp")
    metadata.pop("analysis", None)
    files["metadata.json"] = json.dumps(metadata, sort_keys=True).encode()
    return files


def make_commits(tmp_path: Path) -> tuple[Path, Path]:
    """Commit A: a multi-language project; commit B: one file changed, one added, one gone."""
    a = tmp_path / "commit-a"
    shutil.copytree(FIXTURES / "python", a / "py")
    shutil.copytree(FIXTURES / "go", a / "go")
    shutil.copytree(FIXTURES / "javascript", a / "js")
    (a / "README.md").write_text("# Mixed\n\nA project in three languages.\n")
    b = tmp_path / "commit-b"
    shutil.copytree(a, b)
    py_files = sorted((b / "py").rglob("*.py"))
    changed = py_files[0]
    changed.write_text(changed.read_text() + "\n\ndef added_in_b(x: int) -> int:\n"
                       '    """New in commit B."""\n    return x + 1\n')  # fmt: skip
    (b / "py" / "brand_new.py").write_text('"""Added in B."""\n\n\nclass Fresh:\n    pass\n')
    next(iter(sorted((b / "js").rglob("*.js")))).unlink()
    return a, b


def options(cache: Path | None) -> GenerationOptions:
    return GenerationOptions(
        repo_name="acme/mixed", commit="b" * 40, analysis_cache=str(cache) if cache else ""
    )


def test_incremental_docs_equal_docs_from_scratch(tmp_path: Path) -> None:
    a, b = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    scratch = tmp_path / "scratch"
    generate_docs(b, scratch, options(None))

    generate_docs(a, tmp_path / "docs-a", options(cache))
    first = json.loads((tmp_path / "docs-a" / "metadata.json").read_text())["analysis"]
    assert first["files_reused"] == 0 and first["files_reanalysed"] > 5
    incremental = tmp_path / "incremental"
    generate_docs(b, incremental, options(cache))

    assert comparable(incremental) == comparable(scratch)
    stats = json.loads((incremental / "metadata.json").read_text())["analysis"]
    # One changed and one new file are parsed again; the rest of A's (minus the one
    # deleted) are reused.
    assert stats["files_reanalysed"] == 2
    assert stats["files_reused"] == first["files_reanalysed"] - 2
    assert "analysis" not in json.loads((scratch / "metadata.json").read_text())


def test_corrupt_and_missing_entries_are_recomputed(tmp_path: Path) -> None:
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    reference = tmp_path / "reference"
    generate_docs(a, reference, options(None))
    generate_docs(a, tmp_path / "warm", options(cache))
    entries = sorted(cache.glob("*/*.pickle"))
    entries[0].write_bytes(b"garbage")  # corrupt
    entries[1].write_bytes(entries[1].read_bytes()[:-10])  # truncated
    entries[2].unlink()  # missing
    again = tmp_path / "again"
    generate_docs(a, again, options(cache))
    stats = json.loads((again / "metadata.json").read_text())["analysis"]
    assert stats["files_reanalysed"] == 3
    assert comparable(again) == comparable(reference)
    assert len(list(cache.glob("*/*.pickle"))) == len(entries)  # rewritten


def test_a_changed_generator_never_reuses_old_results(tmp_path: Path, monkeypatch) -> None:
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    monkeypatch.setattr(analysis_cache, "FINGERPRINT", "another-generator")
    generate_docs(a, tmp_path / "two", options(cache))
    assert (
        json.loads((tmp_path / "two" / "metadata.json").read_text())["analysis"]["files_reused"]
        == 0
    )


def test_eviction_keeps_the_most_recently_used_entries_under_the_budget(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    for i in range(10):
        path = root / f"{i:02d}" / f"{i:02d}entry.pickle"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 100)

        os.utime(path, (1000 + i, 1000 + i))  # entry 9 is the most recently used
    assert analysis_cache.evict(root, 450) == 6
    left = sorted(p.name for p in root.glob("*/*"))
    assert left == ["06entry.pickle", "07entry.pickle", "08entry.pickle", "09entry.pickle"]
