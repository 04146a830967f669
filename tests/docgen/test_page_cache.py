"""The page cache: a module page is reused only when what it shows is unchanged.

Each edit below changes what some *other* page shows (a link target renamed, a
cross-reference that now resolves elsewhere, an example, a sub-module's summary). The docs
of the edited commit, generated with the cache the first commit filled, must equal docs
generated from scratch, while unaffected pages are still reused.
"""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from jobs.docgen import GenerationOptions, generate_docs, page_cache
from jobs.docgen.analysis_cache import AnalysisCache
from jobs.docgen.page_cache import PageKeys, after_parse
from jobs.docgen.site import SiteContext
from tests.support import analysis_packs

from .test_incremental import comparable

FIXTURES = Path(__file__).parent / "fixtures"

BASE = {
    "lib/__init__.py": '"""The library."""\n',
    "lib/alpha/__init__.py": '"""Alpha: the front door."""\n',
    "lib/alpha/front.py": '''"""Front door of the library."""
from lib.beta.engine import Engine, start


class Door:
    """Opens onto the :class:`Helper` and the engine."""

    def open(self) -> Engine:
        """Open the door and start the engine."""
        engine = Engine()
        start(engine)
        return engine
''',
    "lib/beta/__init__.py": '"""Beta: the machinery."""\n',
    "lib/beta/engine.py": '''"""The engine."""


class Engine:
    """Runs things."""

    def run(self) -> int:
        """Run once."""
        return 1


def start(engine: Engine) -> int:
    """Start ``engine``."""
    return engine.run()
''',
    "lib/beta/tools.py": '''"""Tools."""


class Outer:
    """Holds a helper."""

    class Helper:
        """The nested helper."""
''',
    "lib/gamma/__init__.py": '"""Gamma: odds and ends."""\n',
    "examples/demo.py": '''"""Start an engine."""
from lib.beta.engine import Engine, start


def main() -> None:
    """Start an engine and print what it returns."""
    print(start(Engine()))
''',
    "lib/gamma/util.py": '''"""Utilities."""
from lib.beta.engine import Engine, start


def boot() -> int:
    """Boot everything."""
    return start(Engine())
''',
}

# More files per folder, so that each folder is a module (and a page) of its own.
for _pkg in ("alpha", "beta", "gamma"):
    for _n in ("one", "two", "three"):
        BASE[f"lib/{_pkg}/{_n}.py"] = (
            f'"""{_pkg} {_n}."""\n\n\ndef {_pkg}_{_n}(x: int) -> int:\n    """Do {_n}."""\n'
            "    return x\n"
        )


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        file = root / path
        text = file.read_text()
        assert old in text
        file.write_text(text.replace(old, new))

    return edit


def _add(path: str, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)

    return edit


EDITS = {
    # front.py's page links to `start`: the link must go.
    "a used function renamed": _replace("lib/beta/engine.py", "def start(", "def launch("),
    "lines shifted": _replace(
        "lib/beta/engine.py", '"""The engine."""\n', '"""The engine."""\n\n\n\n'
    ),
    # A function named like Engine comes first: links to Engine now end in `#engine-1`,
    # though the files that link to it did not change.
    "a link target's anchor moved": _replace(
        "lib/beta/engine.py",
        '"""The engine."""\n',
        '"""The engine."""\n\n\ndef engine() -> None:\n    """The engine as a function."""\n',
    ),
    "a linked class made private": _replace("lib/beta/engine.py", "class Engine", "class _Engine"),
    # Door's doc names `Helper`; an exact match now exists elsewhere and wins. Nothing
    # else front.py's page shows changes: only the replayed cross-reference notices.
    "a cross-reference resolves elsewhere": _add(
        "lib/delta/helper.py", '"""Helpers."""\n\n\nclass Helper:\n    """The real helper."""\n'
    ),
    # engine.py's page shows the call of Engine and start in examples/demo.py.
    "an example changed": _replace("examples/demo.py", "print(start(Engine()))", "start(Engine())"),
    # lib's page lists its sub-modules with their summaries.
    "a sub-module's summary": _replace("lib/beta/__init__.py", "Beta: the machinery.", "Beta."),
}


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def options(cache: Path | None, commit: str = "a" * 40) -> GenerationOptions:
    return GenerationOptions(
        repo_name="acme/lib",
        repo_url="https://git.example.com/acme/lib",
        commit=commit,
        analysis_cache=str(cache) if cache else "",
    )


def analysis(docs: Path) -> dict[str, int]:
    return json.loads((docs / "metadata.json").read_text())["analysis"]


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_incremental_pages_equal_pages_from_scratch(
    tmp_path: Path, edit: Callable[[Path], None]
) -> None:
    a = write_repo(tmp_path / "a", BASE)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    edit(b)
    cache = tmp_path / "cache"
    generate_docs(a, tmp_path / "docs-a", options(cache))
    generate_docs(b, tmp_path / "incremental", options(cache, "b" * 40))
    generate_docs(b, tmp_path / "scratch", options(None, "b" * 40))

    assert comparable(tmp_path / "incremental") == comparable(tmp_path / "scratch")
    stats = analysis(tmp_path / "incremental")
    assert stats["pages_reused"] > 0 and stats["pages_rendered"] > 0


def test_a_cross_reference_is_replayed_before_a_page_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the replay, the edit's stale page would be reused: the case above is real."""
    a = write_repo(tmp_path / "a", BASE)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    EDITS["a cross-reference resolves elsewhere"](b)
    cache = tmp_path / "cache"
    generate_docs(a, tmp_path / "docs-a", options(cache))
    door = (tmp_path / "docs-a" / "lib-alpha.md").read_text()
    assert "Opens onto the [`Helper`](lib-beta.md" in door

    generate_docs(b, tmp_path / "incremental", options(cache))
    door = (tmp_path / "incremental" / "lib-alpha.md").read_text()
    assert "Opens onto the [`Helper`](lib.md#helper)" in door


def test_a_new_commit_of_the_same_tree_reuses_every_page_with_its_own_links(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path / "repo", BASE)
    cache = tmp_path / "cache"
    generate_docs(repo, tmp_path / "first", options(cache, "a" * 40))
    generate_docs(repo, tmp_path / "second", options(cache, "c" * 40))
    generate_docs(repo, tmp_path / "scratch", options(None, "c" * 40))

    stats = analysis(tmp_path / "second")
    assert stats["pages_rendered"] == 0 and stats["pages_reused"] > 3
    assert comparable(tmp_path / "second") == comparable(tmp_path / "scratch")
    engine = (tmp_path / "second" / "lib-beta.md").read_text()
    assert "/blob/" + "c" * 40 + "/lib/beta/engine.py#L4" in engine
    assert "a" * 40 not in engine


def test_a_corrupt_page_entry_is_rendered_again(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", BASE)
    cache = tmp_path / "cache"
    generate_docs(repo, tmp_path / "first", options(cache))
    (pack,) = analysis_packs.packs(cache)
    pages = [key for key in analysis_packs.entries(pack) if key.endswith(".page")]
    assert len(pages) > 2
    analysis_packs.flip_byte(pack, pages[0])
    analysis_packs.flip_byte(pack, pages[1])
    generate_docs(repo, tmp_path / "second", options(cache))
    assert analysis(tmp_path / "second")["pages_rendered"] == 2
    assert comparable(tmp_path / "second") == comparable(tmp_path / "first")


def test_after_parse_names_everything_later_stages_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's analysis is digested as (parser's result, ``after_parse``): every fixture
    language's analyses, rebuilt that way, must equal what the pages are rendered from."""
    sites: list[tuple[SiteContext, dict[str, bytes]]] = []
    real_init = PageKeys.__init__

    def keep(self: PageKeys, ctx: SiteContext, parsed: dict[str, bytes]) -> None:
        sites.append((ctx, dict(parsed)))
        real_init(self, ctx, parsed)

    monkeypatch.setattr(page_cache.PageKeys, "__init__", keep)
    cache = tmp_path / "cache"
    generate_docs(FIXTURES, tmp_path / "docs", GenerationOptions(analysis_cache=str(cache)))
    ((ctx, parsed),) = sites
    store = AnalysisCache(cache, FIXTURES.name)
    checked = 0
    for path, info in ctx.files.items():
        data = (FIXTURES / path).read_bytes()
        payload = store.read(store._key(path, info.language, data))
        assert payload is not None and parsed[path]
        rebuilt = pickle.loads(payload)
        role, comps, reexports = after_parse(info)
        rebuilt.role = role
        for comp, (comp_role, refs, base_ids) in zip(rebuilt.components, comps, strict=True):
            comp.role, comp.refs, comp.base_ids = comp_role, refs, base_ids
            comp.names = ""  # as the graph leaves them
        for entry, (resolved, source_file) in zip(rebuilt.reexports, reexports, strict=True):
            entry.resolved, entry.source_file = resolved, source_file
        assert rebuilt == info, path
        checked += 1
    assert checked > 30
