"""Incremental regeneration: per-file analysis reused by blob id, docs identical to scratch."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from jobs.docgen import GenerationOptions, analysis_cache, generate_docs, pipeline
from tests.support import analysis_packs

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


def analysis(docs: Path) -> dict[str, int]:
    """The analysis counts ``metadata.json`` records."""
    return json.loads((docs / "metadata.json").read_text())["analysis"]


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
    first = analysis(tmp_path / "docs-a")
    assert first["files_reused"] == 0 and first["files_reanalysed"] > 5
    incremental = tmp_path / "incremental"
    generate_docs(b, incremental, options(cache))

    assert comparable(incremental) == comparable(scratch)
    stats = analysis(incremental)
    # One changed and one new file are parsed again; the rest of A's (minus the one
    # deleted) are reused.
    assert stats["files_reanalysed"] == 2
    assert stats["files_reused"] == first["files_reanalysed"] - 2
    assert "analysis" not in json.loads((scratch / "metadata.json").read_text())


def warm_cache(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Commit A generated without a cache (the reference) and with one: (A, cache, docs)."""
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    reference = tmp_path / "reference"
    generate_docs(a, reference, options(None))
    generate_docs(a, tmp_path / "warm", options(cache))
    return a, cache, reference


def test_a_corrupt_entry_is_recomputed(tmp_path: Path) -> None:
    a, cache, reference = warm_cache(tmp_path)
    (pack,) = analysis_packs.packs(cache)
    stored = analysis_packs.entries(pack)
    analyses = [key for key in stored if not key.endswith(".page")]
    analysis_packs.flip_byte(pack, analyses[0])
    again = tmp_path / "again"
    generate_docs(a, again, options(cache))
    stats = analysis(again)
    assert stats["files_reanalysed"] == 1
    assert stats["files_reused"] == len(analyses) - 1
    assert comparable(again) == comparable(reference)
    # The run's own pack replaced the damaged one, with the entry computed again.
    (rewritten,) = analysis_packs.packs(cache)
    assert rewritten != pack and not pack.exists()
    assert analysis_packs.entries(rewritten).keys() == stored.keys()
    third = tmp_path / "third"
    generate_docs(a, third, options(cache))
    assert analysis(third)["files_reanalysed"] == 0


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing", "empty"])
def test_a_damaged_or_missing_pack_is_recomputed(tmp_path: Path, damage: str) -> None:
    a, cache, reference = warm_cache(tmp_path)
    first = analysis(tmp_path / "warm")
    (pack,) = analysis_packs.packs(cache)
    if damage == "truncated":
        pack.write_bytes(pack.read_bytes()[:-10])
    elif damage == "garbage":
        pack.write_bytes(b"garbage")
    elif damage == "empty":
        pack.write_bytes(b"")
    else:
        pack.unlink()
    again = tmp_path / "again"
    generate_docs(a, again, options(cache))
    stats = analysis(again)
    assert stats["files_reanalysed"] == first["files_reanalysed"]
    assert stats["files_reused"] == 0
    assert comparable(again) == comparable(reference)
    (rewritten,) = analysis_packs.packs(cache)
    assert rewritten != pack


def test_a_failed_run_keeps_the_packs_it_read(tmp_path: Path, monkeypatch) -> None:
    a, b = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    (pack,) = analysis_packs.packs(cache)

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("overview failed")

    monkeypatch.setattr(pipeline, "render_overview", broken)
    with pytest.raises(RuntimeError):
        generate_docs(b, tmp_path / "two", options(cache))
    # The entries it made are kept beside the old pack, which it had no right to replace.
    assert pack.exists() and len(analysis_packs.packs(cache)) == 2
    monkeypatch.undo()
    generate_docs(b, tmp_path / "three", options(cache))
    stats = analysis(tmp_path / "three")
    assert stats["files_reanalysed"] == 0  # the failed run's entries were kept
    generate_docs(b, tmp_path / "scratch", options(None))
    assert comparable(tmp_path / "three") == comparable(tmp_path / "scratch")


def many_modules(root: Path, count: int) -> list[Path]:
    """A Python project of ``count`` modules in four packages, each with a class."""
    paths = []
    for i in range(count):
        path = root / f"pkg{i % 4}" / f"mod{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").write_text('"""A package."""\n')
        path.write_text(f'"""Module {i}."""\n\n\nclass Thing{i}:\n'
                        f'    """Thing number {i}."""\n\n    def size(self) -> int:\n'
                        f"        return {i}\n")  # fmt: skip
        paths.append(path)
    return paths


def test_a_small_change_writes_only_its_new_entries(tmp_path: Path) -> None:
    a = tmp_path / "commit-a"
    b = tmp_path / "commit-b"
    many_modules(a, 40)
    shutil.copytree(a, b)
    edited = b / "pkg1" / "mod5.py"
    edited.write_text(edited.read_text() + "\n\ndef helper() -> int:\n    return 5\n")
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    (pack,) = analysis_packs.packs(cache)
    generate_docs(b, tmp_path / "two", options(cache))
    old, delta = analysis_packs.packs(cache)
    assert old == pack  # still mostly what the run used: kept, not written again
    stats = analysis(tmp_path / "two")
    keys = analysis_packs.entries(delta).keys()
    assert len([k for k in keys if not k.endswith(".page")]) == stats["files_reanalysed"] == 1
    assert len([k for k in keys if k.endswith(".page")]) == stats["pages_rendered"] > 0
    generate_docs(b, tmp_path / "three", options(cache))
    assert analysis(tmp_path / "three")["files_reanalysed"] == 0
    assert analysis(tmp_path / "three")["pages_rendered"] == 0
    assert comparable(tmp_path / "three") == comparable(tmp_path / "two")


def test_packs_are_merged_when_they_pile_up(tmp_path: Path, monkeypatch) -> None:
    commits = [tmp_path / "commit-a"]
    many_modules(commits[0], 40)
    for n in (5, 7):  # each commit edits one more module
        commits.append(tmp_path / f"commit-{n}")
        shutil.copytree(commits[-2], commits[-1])
        edited = commits[-1] / f"pkg{n % 4}" / f"mod{n}.py"
        edited.write_text(edited.read_text() + f"\n\ndef helper() -> int:\n    return {n}\n")
    cache = tmp_path / "analysis-cache"
    generate_docs(commits[0], tmp_path / "one", options(cache))
    generate_docs(commits[1], tmp_path / "two", options(cache))
    assert len(analysis_packs.packs(cache)) == 2
    monkeypatch.setattr(analysis_cache, "MAX_PACKS", 2)
    generate_docs(commits[2], tmp_path / "three", options(cache))
    (merged,) = analysis_packs.packs(cache)
    generate_docs(commits[2], tmp_path / "four", options(cache))
    assert analysis(tmp_path / "four")["files_reanalysed"] == 0
    assert analysis_packs.packs(cache) == [merged]


def test_packs_mostly_unused_are_replaced_by_what_the_run_used(tmp_path: Path) -> None:
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    (pack,) = analysis_packs.packs(cache)
    before = analysis_packs.entries(pack).keys()
    small = tmp_path / "small"
    shutil.copytree(a / "go", small / "go")  # a small part of A: most entries unused
    generate_docs(small, tmp_path / "two", options(cache))
    assert analysis(tmp_path / "two")["files_reused"] > 0
    (replaced,) = analysis_packs.packs(cache)
    assert replaced != pack and not pack.exists()
    go_files = len(list((a / "go").rglob("*.go")))
    kept = [k for k in analysis_packs.entries(replaced) if not k.endswith(".page")]
    assert len(kept) == go_files < len([k for k in before if not k.endswith(".page")])


def test_a_changed_generator_never_reuses_old_results(tmp_path: Path, monkeypatch) -> None:
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    monkeypatch.setattr(analysis_cache, "FINGERPRINT", "another-generator")
    generate_docs(a, tmp_path / "two", options(cache))
    assert analysis(tmp_path / "two")["files_reused"] == 0


def test_eviction_keeps_the_most_recently_used_packs_under_the_budget(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    for i in range(10):
        path = root / f"repo{i:02d}" / f"{i:02d}.pack"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + i, 1000 + i))  # pack 9 is the most recently used
    # Left by a run that died long ago, by one writing now, and by the older layout.
    (root / "repo09" / "1.tmp").write_bytes(b"x")
    os.utime(root / "repo09" / "1.tmp", (1000, 1000))
    (root / "repo09" / "2.tmp").write_bytes(b"x")
    (root / "ab").mkdir()
    (root / "ab" / "abcd.pickle").write_bytes(b"x")
    assert analysis_cache.evict(root, 450) == 8
    left = sorted(p.name for p in root.glob("*/*"))
    assert left == ["06.pack", "07.pack", "08.pack", "09.pack", "2.tmp"]
    assert sorted(p.name for p in root.iterdir()) == ["repo06", "repo07", "repo08", "repo09"]


def test_reading_a_pack_marks_it_recently_used(tmp_path: Path) -> None:
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    (pack,) = analysis_packs.packs(cache)
    os.utime(pack, (1000, 1000))
    generate_docs(a, tmp_path / "two", options(cache))  # nothing new: the pack stays
    assert analysis_packs.packs(cache) == [pack]
    assert pack.stat().st_mtime > 1000


def test_each_repository_has_its_own_packs(tmp_path: Path) -> None:
    a, _ = make_commits(tmp_path)
    cache = tmp_path / "analysis-cache"
    generate_docs(a, tmp_path / "one", options(cache))
    other = GenerationOptions(repo_name="acme/other", analysis_cache=str(cache))
    generate_docs(a, tmp_path / "two", other)
    assert analysis(tmp_path / "two")["files_reused"] == 0
    assert len({p.parent for p in analysis_packs.packs(cache)}) == 2
