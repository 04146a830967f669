"""The generated site: layout, JSON schemas, page names, Mermaid, metadata, progress, budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobs.docgen import DocGenError, GenerationOptions, generate_docs
from tests.support.gitserve import write_files

from .conftest import FIXTURES, mermaid_blocks

PAGE_NAME = re.compile(r"^[a-z0-9._-]+\.md$")
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)$")


def check_tree(tree: object, *, first_pass: bool, seen: set[str], depth: int = 1) -> int:
    """Hand-written schema check; returns the tree depth."""
    assert isinstance(tree, dict)
    deepest = depth - 1
    for name, node in tree.items():
        assert isinstance(name, str) and name
        assert name not in seen, f"module name {name!r} used twice"
        seen.add(name)
        assert isinstance(node, dict)
        # CodeWiki's three keys; the appendix's nodes add "appendix" (and "role").
        keys = {"path", "components", "children"}
        if node.get("appendix") is True:
            keys |= {"appendix"} | ({"role"} if "role" in node else set())
            assert node.get("role", "test") in {"test", "example", "benchmark", "docs_tooling"}
        assert set(node) == keys, node.keys()
        assert isinstance(node["path"], str)
        assert not node["path"].startswith("/")
        assert isinstance(node["components"], list)
        assert all(isinstance(c, str) and "::" in c for c in node["components"])
        assert isinstance(node["children"], dict)
        if first_pass:
            assert node["children"] == {}
        deepest = max(deepest, depth)
        if node["children"]:
            deepest = max(
                deepest,
                check_tree(node["children"], first_pass=first_pass, seen=seen, depth=depth + 1),
            )
    return deepest


def test_site_layout_and_json_schemas(build_site) -> None:
    site = build_site(FIXTURES, repo_name="example/polyglot", commit="a" * 40)
    out_files = sorted(p.name for p in site.out.iterdir())
    assert sorted(site.result.files_generated) == out_files
    assert site.result.files_generated[-1] == "metadata.json"
    for required in ("overview.md", "module_tree.json", "first_module_tree.json", "metadata.json"):
        assert required in out_files

    pages = site.pages()
    assert len(pages) == len(set(pages))
    assert all(PAGE_NAME.match(p) for p in pages), pages

    tree = site.json("module_tree.json")
    depth = check_tree(tree, first_pass=False, seen=set())
    first = site.json("first_module_tree.json")
    check_tree(first, first_pass=True, seen=set())
    assert set(first) == set(tree)  # type: ignore[arg-type]

    # Every module has its page; the page stem is the module's key.
    def walk(nodes: dict) -> list[tuple[str, dict]]:
        out = []
        for name, node in nodes.items():
            out.append((name, node))
            out.extend(walk(node["children"]))
        return out

    modules = walk(tree)  # type: ignore[arg-type]
    assert {f"{name}.md" for name, _ in modules} == set(pages) - {"overview.md"}
    all_ids = [cid for _, node in modules for cid in node["components"]]
    assert len(all_ids) == len(set(all_ids)) == site.result.component_count
    first_ids = [cid for node in first.values() for cid in node["components"]]  # type: ignore[union-attr]
    assert sorted(first_ids) == sorted(all_ids)
    assert "python/shop/models.py::Product" in all_ids

    meta = site.json("metadata.json")
    assert isinstance(meta, dict)
    assert set(meta) == {"generation_info", "statistics", "files_generated"}
    info = meta["generation_info"]
    assert set(info) == {"timestamp", "main_model", "generator_version", "repo_path", "commit_id"}
    assert ISO_8601.match(info["timestamp"])
    assert info["main_model"] == "static-analysis"
    assert info["repo_path"] == "example/polyglot"
    assert info["commit_id"] == "a" * 40
    assert isinstance(info["generator_version"], str) and info["generator_version"]
    stats = meta["statistics"]
    assert stats["total_components"] == site.result.component_count
    assert stats["max_depth"] == depth
    assert stats["leaf_nodes"] == sum(1 for _, node in modules if not node["children"])
    assert meta["files_generated"] == site.result.files_generated
    assert site.result.main_model == "static-analysis"
    assert site.result.module_count == len(modules)


def test_overview_content(build_site) -> None:
    site = build_site(FIXTURES / "python", repo_name="example/shop")
    overview = site.text("overview.md")
    assert overview.startswith("# example/shop\n")
    assert "A tiny example shop" in overview  # pyproject description
    assert "A tiny shop used to test the documentation generator." in overview  # README
    assert "| Python | 3 | 51 |" in overview
    assert "shop-checkout" in overview and "shop.cart:main" in overview  # console script
    assert "`__main__` guard" in overview
    assert "```mermaid" in overview
    assert "[shop](shop.md)" in overview


def test_module_page_sections(build_site) -> None:
    site = build_site(FIXTURES / "python")
    page = site.text("shop.md")
    for heading in ("## Purpose", "## Components", "## Diagram", "## Dependencies", "## API"):
        assert heading in page
    # Locations are relative to the module's folder, shown once as its path.
    row = "| Cart | class (2 methods, 1 attribute) | cart.py:5 | Holds products before checkout. |"
    assert row in page
    assert "| Cart.add |" not in page  # methods are documented under their class
    assert "```python\ndef checkout(cart: Cart) -> float\n```" in page
    assert "**Inherits from:** [Product](shop.md#product)" in page
    [diagram] = mermaid_blocks(page)
    assert re.search(r'c\d+\["class DigitalProduct"\]', diagram)
    assert "-.->|inherits|" in diagram


def test_module_dependencies_between_pages(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "deps",
        {
            "core/models.py": '"""Core."""\n'
            + "".join(f"class Model{i}:\n    '''Model {i}.'''\n\n" for i in range(5)),
            "api/views.py": "from core.models import Model1\n\n\ndef view():\n    return Model1()\n"
            + "".join(f"def helper{i}():\n    return view()\n" for i in range(5)),
        },
    )
    site = build_site(repo)
    api = site.text("api.md")
    core = site.text("core.md")
    assert "### Depends on\n\n- [core](core.md)" in api
    assert "### Used by\n\n- [api](api.md)" in core
    assert "**Used by:** [view](api.md#view)" in core
    [arch] = mermaid_blocks(site.text("overview.md"))
    assert re.search(r"m\d+ --> m\d+", arch)


def test_mermaid_is_sanitised_and_bounded(build_site, tmp_path: Path) -> None:
    files = {
        f"pkg{i:02d}/mod.py": f"from pkg{(i + 1) % 60:02d}.mod import C{(i + 1) % 60}x0\n\n"
        + f"class C{i}x0(C{(i + 1) % 60}x0):\n    pass\n"
        + "".join(f"class C{i}x{j}(C{i}x0):\n    pass\n" for j in range(1, 6))
        for i in range(60)
    }
    files["hostile/evil.py"] = (
        "".join(f"class Bad{j}:\n    pass\n" for j in range(5))
        + "class Evil_end_click(Bad1):\n    '''x'''\n"
    )
    files["big/many.py"] = "".join(f"def f{i}():\n    return f{i + 1}()\n" for i in range(80))
    site = build_site(write_files(tmp_path / "m", files))
    blocks = [b for page in site.pages() for b in mermaid_blocks(site.text(page))]
    assert len(blocks) >= 60  # the overview and every module page with links draw one
    overview = site.text("overview.md")
    assert "less connected modules are not drawn" in overview
    # Modules without any link are named in text instead of drawn as loose boxes.
    assert "Modules that neither use nor are used by the others: [big](big.md)" in overview
    for page in site.pages():
        for block in mermaid_blocks(site.text(page)):
            lines = block.strip().splitlines()
            assert lines[0] == "graph LR"
            nodes = [ln for ln in lines[1:] if "[" in ln]
            assert len(nodes) <= 40, page
            for line in lines[1:]:
                node = re.fullmatch(r'    ([a-z]\d+)\["([A-Za-z0-9 _.,:/+()\-]*)"\]', line)
                edge = re.fullmatch(r"    ([a-z]\d+) (-->|-\.->\|inherits\|) ([a-z]\d+)", line)
                assert node or edge, line
            # Every drawn node takes part in a link.
            ids = {m.group(1) for ln in lines[1:] if (m := re.match(r"    ([a-z]\d+)\[", ln))}
            linked = {w for ln in lines[1:] if "[" not in ln for w in re.findall(r"[a-z]\d+", ln)}
            assert ids <= linked, page


def test_unlinked_modules_get_a_structure_diagram(build_site, tmp_path: Path) -> None:
    files = {
        f"pkg{i}/mod.py": "".join(f"def f{j}():\n    pass\n" for j in range(5)) for i in range(3)
    }
    site = build_site(write_files(tmp_path / "s", files), repo_name="acme/loose")
    overview = site.text("overview.md")
    [diagram] = mermaid_blocks(overview)
    lines = diagram.strip().splitlines()
    assert lines[0] == "graph TB"
    assert '    r0["acme/loose"]' in lines
    assert sum(1 for ln in lines if "-->" in ln) == 3
    assert "No module of this repository uses another one" in overview
    # Module pages without any link between components draw nothing at all.
    assert "## Diagram" not in site.text("pkg0.md")


def test_progress_is_monotonic_and_reaches_100(tmp_path: Path) -> None:
    seen: list[tuple[int, str]] = []
    generate_docs(FIXTURES, tmp_path / "out", progress=lambda p, t: seen.append((p, t)))
    percents = [p for p, _ in seen]
    assert percents == sorted(percents)
    assert len(set(percents)) == len(percents)  # no repeated updates
    assert percents[-1] == 100 and percents[0] >= 0
    texts = [t for _, t in seen]
    assert any(re.fullmatch(r"Analysing \d+/\d+ files", t) for t in texts)
    assert any(re.fullmatch(r"Writing module pages \d+/\d+", t) for t in texts)
    assert len(seen) <= 101


def test_file_budget_stops_with_a_note(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "many", {f"pkg/m{i:03d}.py": f"def f{i}():\n    pass\n" for i in range(30)}
    )
    site = build_site(repo, max_files=10)
    overview = site.text("overview.md")
    assert "File budget reached" in overview
    assert "after 10 files" in overview
    assert site.result.component_count == 10
    unlimited = build_site(repo)
    assert "File budget reached" not in unlimited.text("overview.md")
    assert unlimited.result.component_count == 30


def test_unique_page_names_when_slugs_collide(build_site, tmp_path: Path) -> None:
    body = "".join(f"def f{i}():\n    pass\n" for i in range(6))
    repo = write_files(
        tmp_path / "clash",
        {
            "Docs/a.py": body,
            "docs/b.py": body,
            "my app/c.py": body,
            "my-app/d.py": body,
            "overview/e.py": body,  # would shadow overview.md
            "metadata/f.py": body,
        },
    )
    site = build_site(repo)
    pages = site.pages()
    assert len(pages) == len(set(pages))
    assert pages.count("overview.md") == 1
    assert len([p for p in pages if p.startswith("docs")]) == 2
    assert len([p for p in pages if p.startswith("my-app")]) == 2
    for page in pages:
        assert PAGE_NAME.match(page)
    # Each module's functions are documented on its own page, none lost to an overwrite.
    texts = "\n".join(site.text(p) for p in pages)
    for name in ("a.py", "b.py", "c.py", "d.py", "e.py", "f.py"):
        assert name in texts


def test_include_and_exclude(build_site) -> None:
    site = build_site(FIXTURES, include=["python/*", "go/**"], exclude=["go/store"])
    tree = site.json("module_tree.json")
    ids = [c for node in site.json("first_module_tree.json").values() for c in node["components"]]
    assert any(c.startswith("python/") for c in ids)
    assert any(c.startswith("go/main.go") for c in ids)
    assert not any(c.startswith(("go/store", "java/", "rust/")) for c in ids)
    assert tree


def test_missing_repository_raises(tmp_path: Path) -> None:
    with pytest.raises(DocGenError):
        generate_docs(tmp_path / "nope", tmp_path / "out")
    with pytest.raises(DocGenError):
        generate_docs(tmp_path, tmp_path / "out", GenerationOptions(max_files=0))


def test_empty_repository(build_site, tmp_path: Path) -> None:
    repo = write_files(tmp_path / "empty", {"README.md": "# Nothing\n\nJust words.\n"})
    site = build_site(repo)
    assert "Just words." in site.text("overview.md")
    assert site.result.component_count == 0
    assert set(site.result.files_generated) >= {"overview.md", "metadata.json"}


def test_repo_name_never_leaks_a_server_path(build_site, tmp_path: Path) -> None:
    site = build_site(FIXTURES / "go", repo_name=str(tmp_path / "srv" / "owner-repo"))
    assert str(tmp_path) not in site.all_text()
    assert site.json("metadata.json")["generation_info"]["repo_path"] == "owner-repo"
    unnamed = build_site(FIXTURES / "go")
    assert str(FIXTURES) not in unnamed.all_text()
    assert unnamed.json("metadata.json")["generation_info"]["repo_path"] == "go"


def test_repo_url_links_are_safe(build_site) -> None:
    site = build_site(
        FIXTURES / "python", repo_url="https://github.com/example/shop", commit="b" * 40
    )
    page = site.text("shop.md")
    assert f"(https://github.com/example/shop/blob/{'b' * 40}/shop/cart.py#L5)" in page
    bad = build_site(FIXTURES / "python", repo_url='javascript:alert(1)//"<x>', commit="<b>")
    text = bad.all_text()
    assert "javascript:" not in text and "<b>" not in text


def test_deeply_nested_folders_are_cut_off(build_site, tmp_path: Path) -> None:
    deep = "/".join(["d"] * 60)
    repo = write_files(
        tmp_path / "deep",
        {f"{deep}/x.py": "def deep():\n    pass\n", "top.py": "def top():\n    pass\n"},
    )
    site = build_site(repo)
    assert "folder nested too deeply" in site.text("overview.md")
    ids = [c for n in site.json("first_module_tree.json").values() for c in n["components"]]
    assert ids == ["top.py::top"]


def test_repository_folder_may_itself_be_a_link(build_site, tmp_path: Path) -> None:
    import os

    link = tmp_path / "checkout"
    os.symlink(FIXTURES / "python", link)
    site = build_site(link, repo_name="example/shop")
    assert site.result.component_count == 10
    assert str(tmp_path) not in site.all_text() and str(FIXTURES) not in site.all_text()


def test_glob_patterns_follow_gitignore_habits() -> None:
    from jobs.docgen.scan import _matches

    assert _matches("src/a.py", ["src/**/*.py"])
    assert _matches("src/x/y/a.py", ["src/**/*.py"])
    assert _matches("a.py", ["**/*.py"])
    assert _matches("docs/x/y.py", ["docs"])
    assert _matches("docs/x/y.py", ["docs/"])
    assert not _matches("src/a.js", ["src/**/*.py"])
    assert not _matches("mydocs/a.py", ["docs"])
