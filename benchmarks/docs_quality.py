"""Figures a newcomer would notice, read off generated docs folders (not a test).

For each repository folder, reads the docs generated for it (`<docs-root>/<folder name>/`)
and prints:

- main tree, production share: of the components in the main part of the module tree (the
  appendix of tests, examples and tooling excluded), how many live in production files, as
  `jobs.docgen.classify.classify_path` judges their path;
- public members: API headings plus member-table rows on module pages, counted for
  production code only (a page's count is weighted by the production share of its own
  components);
- examples: usage examples shown ("From `path:line`:" blocks);
- uses links / from comments: the "Uses:" links on module pages, and how many of them name a
  component that the using component's source mentions only inside comments or string
  literals (its source is re-read and scanned with and without them).

Works on the output of any generator version, so the same script measures before and after:

    .venv/bin/python -m benchmarks.docs_quality --docs-root /tmp/docs-after /work/repos/*
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on the path and its queue.py would hide the
# standard library's.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from jobs.docgen.classify import FileRole, classify_path  # noqa: E402
from jobs.docgen.languages import language_for  # noqa: E402
from jobs.docgen.parsers.python import _IDENT as PY_CODE_WORDS  # noqa: E402
from jobs.docgen.parsers.treesitter import REFERENCES  # noqa: E402

_ANY_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOCATION = re.compile(r"^_[a-z ]+_ · (?:\[)?([^\s:\]]+):(\d+)\]?(?:\([^)]*\))?–(\d+)")
_USES = re.compile(r"^\*\*Uses:\*\* (.*)$")
_LINK_TEXT = re.compile(r"\[([^\]]+)\]\(")
_EXAMPLE = re.compile(r"^From `[^`]+:\d+`", re.MULTILINE)


def _walk(tree: dict, appendix: bool = False):
    for key, node in tree.items():
        inside = appendix or node.get("appendix") is True
        yield key, node, inside
        yield from _walk(node.get("children", {}), inside)


def _is_production(cid: str) -> bool:
    path = cid.split("::", 1)[0]
    return classify_path(path, language_for(path.rsplit("/", 1)[-1]) or "") is (FileRole.PRODUCTION)


def _code_words(text: str, language: str) -> set[str]:
    """Identifiers outside comments and string literals."""
    if language == "python":
        return set(PY_CODE_WORDS.findall(text)) - {""}
    pattern = REFERENCES.get(language)
    if pattern is None:
        return set(_ANY_WORD.findall(text))
    return {w.decode("ascii") for w in pattern.findall(text.encode("utf-8"))} - {""}


class Sources:
    """Repository files found by the (relative) location a page shows."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.by_name: dict[str, list[str]] = {}
        for path in repo.rglob("*"):
            if path.is_file() and language_for(path.name) and ".git" not in path.parts:
                rel = path.relative_to(repo).as_posix()
                self.by_name.setdefault(path.name, []).append(rel)
        self.cache: dict[str, list[str]] = {}

    def lines(self, shown: str, folder: str) -> tuple[str, list[str]] | None:
        candidates = self.by_name.get(shown.rsplit("/", 1)[-1], [])
        exact = [c for c in candidates if c == f"{folder}/{shown}".lstrip("/")]
        matches = exact or [c for c in candidates if c.endswith(shown)]
        if len(matches) != 1:
            return None
        rel = matches[0]
        if rel not in self.cache:
            text = (self.repo / rel).read_text(encoding="utf-8", errors="replace")
            self.cache[rel] = text.split("\n")
        return rel, self.cache[rel]


def measure(repo: Path, docs: Path) -> dict[str, float]:
    tree = json.loads((docs / "module_tree.json").read_text(encoding="utf-8"))
    main_ids: list[str] = []
    page_share: dict[str, float] = {}
    page_folder: dict[str, str] = {}
    for key, node, inside in _walk(tree):
        ids = node.get("components", [])
        if not inside:
            main_ids += ids
        prod = sum(1 for cid in ids if _is_production(cid))
        page_share[key + ".md"] = prod / len(ids) if ids else 0.0
        path = node.get("path", "")
        page_folder[key + ".md"] = (
            path.rsplit("/", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
        )
    production_main = sum(1 for cid in main_ids if _is_production(cid))
    all_ids = [cid for _k, node, _i in _walk(tree) for cid in node.get("components", [])]
    sources = Sources(repo)
    members = 0.0
    examples = 0
    uses = 0
    from_comments = 0
    for page, share in sorted(page_share.items()):
        path = docs / page
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        examples += len(_EXAMPLE.findall(text))
        api = text.split("\n## API\n", 1)[1] if "\n## API\n" in text else ""
        count = sum(1 for ln in api.split("\n") if ln.startswith(("### ", "#### ")))
        count += sum(1 for ln in api.split("\n") if ln.startswith("| `"))
        members += count * share
        location: tuple[str, int, int] | None = None
        for line in api.split("\n"):
            found = _LOCATION.match(line)
            if found:
                location = (found.group(1), int(found.group(2)), int(found.group(3)))
                continue
            used = _USES.match(line)
            if not used or location is None:
                continue
            names = [
                t.replace("\\_", "_").rsplit(".", 1)[-1] for t in _LINK_TEXT.findall(used.group(1))
            ]
            uses += len(names)
            source = sources.lines(location[0], page_folder.get(page, ""))
            if source is None:
                continue
            rel, lines = source
            body = "\n".join(lines[location[1] - 1 : location[2]])
            language = language_for(rel.rsplit("/", 1)[-1]) or ""
            code = _code_words(body, language)
            raw = set(_ANY_WORD.findall(body))
            from_comments += sum(1 for n in names if n in raw and n not in code)
    return {
        "components": len(all_ids),
        "main": len(main_ids),
        "main_production_share": production_main / len(main_ids) if main_ids else 0.0,
        "all_production_share": (
            sum(1 for cid in all_ids if _is_production(cid)) / len(all_ids) if all_ids else 0.0
        ),
        "public_members": members,
        "examples": examples,
        "uses": uses,
        "from_comments": from_comments,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs-root", type=Path, required=True, help="holds <repo name>/ folders")
    parser.add_argument("repos", type=Path, nargs="+", help="repository folders")
    args = parser.parse_args()
    header = (
        f"{'repository':<28} {'components':>10} {'in main':>8} {'main prod':>9} "
        f"{'members':>8} {'examples':>8} {'uses':>6} {'from comments':>14}"
    )
    print(header)
    for repo in args.repos:
        docs = args.docs_root / repo.name
        if not (docs / "module_tree.json").is_file():
            print(f"{repo.name:<28} (no docs in {docs})")
            continue
        m = measure(repo, docs)
        share = f"{m['from_comments'] / m['uses']:.1%}" if m["uses"] else "-"
        print(
            f"{repo.name:<28} {m['components']:>10,} {m['main']:>8,} "
            f"{m['main_production_share']:>9.0%} {m['public_members']:>8,.0f} "
            f"{m['examples']:>8,} {m['uses']:>6,} {m['from_comments']:>6,} ({share:>5})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
