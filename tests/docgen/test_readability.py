"""What a reader sees: module names, collapsed packages, reflowed docs, public-first tables."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from tests.support.gitserve import write_files

from .conftest import strip_fences

MD = MarkdownIt("commonmark", {"html": True}).enable("table")


def _functions(prefix: str, count: int) -> str:
    return "".join(f"def {prefix}{i}():\n    '''Do {prefix} {i}.'''\n\n\n" for i in range(count))


def _classes(prefix: str, count: int) -> str:
    return "".join(f"class {prefix}{i}:\n    '''A {prefix} {i}.'''\n\n\n" for i in range(count))


def _tree_keys(tree: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for key, node in tree.items():
        out[key] = node
        out.update(_tree_keys(node["children"]))
    return out


def test_big_flat_folder_is_split_by_file_not_by_alphabet(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "flat",
        {
            "jobs/__init__.py": '"""The job queue."""\n',
            "jobs/worker.py": '"""The queue loop."""\n' + _functions("work", 30),
            "jobs/models.py": '"""The records."""\n' + _classes("Model", 30),
            "jobs/services.py": _functions("service", 30),
            "jobs/views.py": _functions("view", 30),
            # Small files sharing a prefix, and small files importing each other.
            "jobs/cache.py": _functions("cache", 5),
            "jobs/cache_keys.py": _functions("key", 5),
            "jobs/tokens.py": _functions("token", 5),
            "jobs/parse.py": "from jobs.tokens import token0\n\n" + _functions("parse", 5),
            "jobs/apps.py": "class JobsConfig:\n    pass\n",
        },
    )
    site = build_site(repo)
    pages = set(site.pages())
    for stem in ("jobs", "jobs-worker", "jobs-models", "jobs-services", "jobs-views"):
        assert f"{stem}.md" in pages, sorted(pages)
    assert "jobs-cache-files.md" in pages  # the cache_* prefix group
    assert "jobs-tokens-related.md" in pages  # tokens.py and the parse.py that imports it
    tree = _tree_keys(site.json("module_tree.json"))  # type: ignore[arg-type]
    assert set(tree["jobs"]["children"]) >= {"jobs-worker", "jobs-models", "jobs-cache-files"}
    assert tree["jobs-worker"]["path"] == "jobs/worker.py"
    assert tree["jobs-worker"]["components"] == [f"jobs/worker.py::work{i}" for i in range(30)]
    # The package file and the odd small file stay on the folder's own page.
    assert {c.split("::")[0] for c in tree["jobs"]["components"]} == {"jobs/apps.py"}

    overview = site.text("overview.md")
    modules = overview.split("## Modules", 1)[1].split("## Entry points", 1)[0]
    assert " to " not in modules, modules  # no alphabetical ranges
    assert "[worker](jobs-worker.md) — 30 components in 1 file: The queue loop." in modules
    assert "[cache\\_\\*](jobs-cache-files.md)" in modules
    assert "[tokens, parse](jobs-tokens-related.md)" in modules
    assert "- [jobs](jobs.md) — 141 components in 10 files: The job queue." in modules
    group = site.text("jobs-tokens-related.md")
    assert "Small files of `jobs` shown together because they use one another:" in group
    assert "- `parse.py` (22 lines, 5 components)\n- `tokens.py` (20 lines, 5 components)" in group
    assert "**Path:**" not in group and "## Files" not in group
    worker = site.text("jobs-worker.md")
    assert "**Path:** `jobs/worker.py`" in worker
    assert worker.startswith("# jobs/worker\n")
    assert "[Overview](overview.md) › [jobs](jobs.md)" in worker


def test_single_child_packages_collapse_and_parents_do_not_borrow(build_site, tmp_path) -> None:
    repo = write_files(
        tmp_path / "nest",
        {
            "app/models.py": _classes("Model", 5),
            "app/management/__init__.py": "",
            "app/management/commands/__init__.py": "",
            "app/management/commands/run.py": '"""Run things."""\n'
            + _functions("run", 4)
            + "class Command:\n    pass\n",
            "lib/__init__.py": "",
            "lib/alpha/__init__.py": '"""Alpha things."""\n' + _functions("alpha", 5),
            "lib/beta/__init__.py": _functions("beta", 5),
            # A folder with code of its own keeps its page, however small.
            "tool/main.py": "def main():\n    pass\n",
            "tool/store/db.py": _functions("store", 5),
        },
    )
    site = build_site(repo)
    pages = set(site.pages())
    assert "app-management-commands.md" in pages
    assert "app-management.md" not in pages
    assert {"tool.md", "tool-store.md"} <= pages
    tree = _tree_keys(site.json("module_tree.json"))  # type: ignore[arg-type]
    assert list(tree["app"]["children"]) == ["app-management-commands"]
    overview = site.text("overview.md")
    assert "[commands](app-management-commands.md) — 5 components in 3 files" in overview
    assert (
        "- Django management commands (`manage.py <name>`) in "
        "[app/management/commands](app-management-commands.md): `run`\n"
    ) in overview
    # A parent with nothing of its own shows its whole sub-tree, and no child's docstring.
    [lib_line] = [ln for ln in overview.splitlines() if "(lib.md)" in ln]
    assert lib_line == "- [lib](lib.md) — 10 components in 3 files"
    assert not re.search(r"\b0 components", overview)
    lib = site.text("lib.md")
    assert "Alpha things" not in lib.split("## Sub-modules", 1)[0]
    assert "- [alpha](lib-alpha.md) — 5 components: Alpha things." in lib
    crumbs = "[Overview](overview.md) › [app](app.md)\n"
    assert crumbs in site.text("app-management-commands.md")
    assert "With its 2 sub-modules this module covers 3 files (Python) and 10 components." in lib
    # An empty __init__.py is no reason for a "files" table, nor "0 components" sentences.
    assert "## Files" not in lib and "## Components" not in lib


DOC = '''"""Fetch a page of results from the
    remote service, retrying on failure.

    Pass ``timeout`` (seconds) or `retries`; ``a`b`` has a backtick and
    ``<script>alert(1)</script>`` is only shown.

    Example::

        fetch("x",
              timeout=3)

    >>> fetch("y")
    'ok'

    Args:
        url: Where to go,
            wrapped.
        timeout (int): How long.
    """'''


def test_docstrings_are_reflowed_into_paragraphs_code_and_lists(build_site, tmp_path) -> None:
    repo = write_files(
        tmp_path / "doc",
        {"net/client.py": f"def fetch(url, timeout=1):\n    {DOC}\n    return url\n" + "\n"},
    )
    site = build_site(repo)
    page = site.text("root.md")  # one small folder is folded into the root module
    api = page.split("## API", 1)[1]
    assert "Fetch a page of results from the remote service, retrying on failure." in api
    prose = strip_fences(api)
    assert not re.search(r"\\$", prose, re.MULTILINE), "no hard line breaks"
    assert "&nbsp;" not in prose
    assert "Pass `timeout` (seconds) or `retries`; ``a`b`` has a backtick and" in api
    assert '```python\nfetch("x",\n      timeout=3)\n```' in api
    assert "```python\n>>> fetch(\"y\")\n'ok'\n```" in api
    assert "Args:\n\n- url: Where to go, wrapped.\n- timeout (int): How long." in api
    html = MD.render(page)
    assert "<code>timeout</code>" in html and "<code>a`b</code>" in html
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html
    assert "<script" not in html
    # The summary in the table is the first sentence, with its code spans.
    assert "| fetch | function | net/client.py:1 | Fetch a page of results from the remote" in page


def test_component_tables_list_public_components_first(build_site, tmp_path) -> None:
    source = (
        "def _helper():\n    pass\n\n\n"
        "class Engine:\n    '''Runs things.'''\n\n"
        "    def __init__(self, fuel: int) -> None:\n        self.fuel = fuel\n\n"
        "    def __repr__(self):\n        return 'Engine'\n\n"
        "    def _spin(self):\n        pass\n\n"
        "    def start(self):\n        '''Start it.'''\n        _helper()\n\n"
        "    @property\n    def speed(self) -> int:\n"
        "        '''How fast.'''\n        return 1\n\n\n"
        "class _Internal:\n    def go(self):\n        pass\n\n\n"
        "def build():\n    '''Build an engine.'''\n    return Engine(1)\n"
    )
    site = build_site(write_files(tmp_path / "t", {"motor/engine.py": source}))
    page = site.text("motor.md")
    table = page.split("## Components", 1)[1].split("\n\n", 2)[1]
    rows = [ln.split(" | ")[0].lstrip("| ") for ln in table.splitlines()[2:]]
    assert rows == ["Engine", "build"]
    assert "| Engine | class (2 methods, 1 attribute) |" in table
    assert "**Private helpers (2):** `_helper`, `_Internal`" in page
    assert "Not listed: 2 private methods" in page
    api = page.split("## API", 1)[1]
    headings = re.findall(r"^#{3,4} (.+)$", api, re.MULTILINE)
    assert headings == ["Engine", "Engine.start", "Engine.speed", "build"]
    assert "```python\n@property\ndef speed(self) -> int\n```" in api  # decorators shown
    # The undocumented constructor's parameters show in the class's own signature.
    assert "class Engine\n    def __init__(self, fuel: int) -> None\n" in api
    assert "\\_\\_repr\\_\\_" not in page and "\\_\\_init\\_\\_" not in page


def _heading_ids(markdown: str) -> set[str]:
    """Heading ids as GitHub and the viewer give them (lower-case, punctuation dropped)."""
    ids: set[str] = set()
    seen: dict[str, int] = {}
    tokens = MD.parse(markdown)
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        text = "".join(
            c.content for c in inline.children or [] if c.type in ("text", "code_inline")
        )
        slug = re.sub(r"[^\w\- ]+", "", text.lower()).strip().replace(" ", "-") or "section"
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def test_component_links_land_on_their_section(build_site, tmp_path) -> None:
    from .conftest import FIXTURES

    commands = "class Command:\n    '''Run {0}.'''\n\n\ndef use_{0}():\n    return Command()\n"
    repo = write_files(
        tmp_path / "links",
        {
            "cmds/a.py": commands.format("a"),
            "cmds/b.py": commands.format("b"),
            "cmds/c.py": "class Purpose:\n    pass\n\n\ndef api():\n    return Purpose()\n",
            "cmds/d.py": "from cmds.a import Command\n\n\ndef go():\n    return Command()\n",
        },
    )
    linked = build_site(repo)
    for site in (linked, build_site(FIXTURES)):
        ids = {page: _heading_ids(site.text(page)) for page in site.pages()}
        fragments = 0
        for page in site.pages():
            for target, fragment in re.findall(
                r"\]\(([a-z0-9._-]+\.md)#([^)]+)\)", site.text(page)
            ):
                assert fragment in ids[target], (page, target, fragment)
                fragments += 1
        assert fragments > 3
    page = linked.text("cmds.md")
    # The second Command on the page is "command-1"; a clash with "## Purpose" is not linked.
    assert "[Command](cmds.md#command-1)" in page
    assert "[Purpose](cmds.md)" in page
    # Callers from other files come before the component's own neighbours.
    assert "**Used by:** [go](cmds.md#go), [use\\_a](cmds.md#use_a)" in page


def test_architecture_counts_a_parents_own_files(build_site, tmp_path) -> None:
    from .conftest import mermaid_blocks

    repo = write_files(
        tmp_path / "arch",
        {
            # app's own file uses lib; app's sub-module uses nothing.
            "app/core.py": "from lib.tools import Tool\n\n"
            + _functions("core", 4)
            + "def use():\n    return Tool()\n",
            "app/sub/x.py": _functions("x", 5),
            "lib/tools.py": _classes("Tool", 1) + _functions("tool", 4),
            "other/y.py": _functions("y", 5),
        },
    )
    overview = build_site(repo).text("overview.md")
    [diagram] = mermaid_blocks(overview)
    nodes = dict(re.findall(r'    (m\d+)\["([^"]+)"\]', diagram))
    edges = {(nodes[a], nodes[b]) for a, b in re.findall(r"(m\d+) --> (m\d+)", diagram)}
    assert edges == {("app", "lib")}
    assert "Modules that neither use nor are used by the others: " in overview
    assert "[app/sub](app-sub.md)" in overview and "[other](other.md)" in overview


def test_dense_architecture_keeps_each_modules_strongest_arrow(build_site, tmp_path) -> None:
    from .conftest import mermaid_blocks

    names = [f"m{i}" for i in range(6)]
    files = {}
    for name in names:
        imports = "".join(f"from {o}.core import f0 as {o}_f0\n" for o in names if o != name)
        files[f"{name}/core.py"] = imports + "\n" + _functions("f", 5)
    overview = build_site(write_files(tmp_path / "dense", files)).text("overview.md")
    [diagram] = mermaid_blocks(overview)
    arrows = re.findall(r"(m\d+) --> m\d+", diagram)
    assert len(arrows) == 6 + 6 // 2 + 6  # about one and a half arrows per module
    assert len(set(arrows)) == 6  # every module keeps at least one arrow
    assert "Only 15 of 30 dependencies are drawn" in overview


def test_breadcrumbs_show_every_ancestor(build_site, tmp_path) -> None:
    repo = write_files(
        tmp_path / "deep",
        {
            "a/x.py": _functions("x", 5),
            "a/b/y.py": _functions("y", 5),
            "a/b/c/z.py": _functions("z", 5),
        },
    )
    page = build_site(repo).text("a-b-c.md")
    assert "[Overview](overview.md) › [a](a.md) › [a/b](a-b.md)\n" in page


def test_summaries_run_past_abbreviations_initials_and_versions(build_site, tmp_path) -> None:
    source = (
        "def first():\n    '''Return the value, e.g. the first one. Then more.'''\n\n\n"
        "def pick():\n    '''Pick one (i.e. any item), cf. `a. b` here. Then more.'''\n\n\n"
        "def credit():\n    '''Thanks to Dr. J. Smith for v1.2. support. Then more.'''\n\n\n"
        "def approx():\n    '''Approx. ten items, lists etc. Then more.'''\n\n\n"
        "def versus():\n    '''Compare a vs. b. Then more.'''\n"
    )
    page = build_site(write_files(tmp_path / "abbr", {"tools/things.py": source})).text("tools.md")
    table = page.split("## Components", 1)[1].split("## API", 1)[0]
    assert "| Return the value, e.g. the first one. |" in table
    assert "| Pick one (i.e. any item), cf. `a. b` here. |" in table
    assert "| Thanks to Dr. J. Smith for v1.2. support. |" in table
    # "etc." before a capital letter closes the sentence.
    assert "| Approx. ten items, lists etc. |" in table
    assert "| Compare a vs. b. |" in table
    assert "Then more" not in table
