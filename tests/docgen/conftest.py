"""Helpers for the documentation generator tests (no database needed)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs.docgen import GenerationOptions, GenerationResult, generate_docs
from jobs.docgen.classify import assign_roles, promote_shipped_test_support
from jobs.docgen.graph import ImportResolver, build_graph
from jobs.docgen.model import Component, FileInfo
from jobs.docgen.parsers import parse_source
from jobs.docgen.scan import read_repo_file, scan_repository

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Analysis:
    files: dict[str, FileInfo]
    by_qualname: dict[str, Component]
    by_id: dict[str, Component]
    file_deps: dict[str, set[str]]

    def comp(self, qualname: str) -> Component:
        assert qualname in self.by_qualname, (
            f"{qualname!r} not found; have {sorted(self.by_qualname)}"
        )
        return self.by_qualname[qualname]

    def ref_names(self, qualname: str) -> set[str]:
        return {self.by_id[r].qualname for r in self.comp(qualname).refs}

    def base_names(self, qualname: str) -> set[str]:
        return {self.by_id[r].qualname for r in self.comp(qualname).base_ids}


def analyse(root: Path) -> Analysis:
    """Scan, parse and resolve like the pipeline does, returning the raw records."""
    scan = scan_repository(
        str(root), max_files=1000, max_file_bytes=1_000_000, include=[], exclude=[]
    )
    infos = []
    for cand in scan.candidates:
        data = read_repo_file(str(root), str(root.resolve()), cand.rel, 1_000_000)
        assert data is not None
        infos.append(parse_source(cand.rel, cand.language, data.decode("utf-8", "replace"), data))
    assign_roles(infos)
    resolver = ImportResolver(infos, root_name=root.name)
    promote_shipped_test_support(infos, resolver.resolve)
    graph = build_graph(infos, resolver)
    by_qualname: dict[str, Component] = {}
    for comp in graph.components.values():
        by_qualname.setdefault(comp.qualname, comp)
    return Analysis(
        files={i.path: i for i in infos},
        by_qualname=by_qualname,
        by_id=graph.components,
        file_deps=graph.file_deps,
    )


@dataclass
class Site:
    out: Path
    result: GenerationResult

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")

    def json(self, name: str) -> object:
        return json.loads(self.text(name))

    def pages(self) -> list[str]:
        return [n for n in self.result.files_generated if n.endswith(".md")]

    def all_text(self) -> str:
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace") for p in self.out.iterdir()
        )


@pytest.fixture
def build_site(tmp_path: Path):
    counter = iter(range(1000))

    def _build(repo: Path, **options: object) -> Site:
        out = tmp_path / f"site{next(counter)}"
        result = generate_docs(repo, out, GenerationOptions(**options))  # type: ignore[arg-type]
        return Site(out, result)

    return _build


@pytest.fixture
def fixture_repo(tmp_path: Path):
    """A private copy of a fixture repository (tests may add files to it)."""

    def _copy(name: str) -> Path:
        dest = tmp_path / "repos" / name
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return _copy


FENCE = re.compile(r"^(`{3,})[^\n]*\n.*?^\1\s*$", re.MULTILINE | re.DOTALL)


def strip_fences(markdown: str) -> str:
    return FENCE.sub("", markdown)


CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


def strip_code(markdown: str) -> str:
    """The prose of a page: without fenced blocks and without inline code spans."""
    return CODE_SPAN.sub("", strip_fences(markdown))


def mermaid_blocks(markdown: str) -> list[str]:
    pattern = r"^(`{3,})mermaid\n(.*?)^\1\s*$"
    return [body for _fence, body in re.findall(pattern, markdown, re.MULTILINE | re.DOTALL)]
