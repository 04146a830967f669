"""What a newcomer reads in the overview: only public components to start from, a language
count that tells production code from tests, a README without badge debris, people lists or
licence text, and groups named after what they hold (the lead's reading of issue 7)."""

from __future__ import annotations

from pathlib import Path

from tests.support.gitserve import write_files


def _section(page: str, title: str) -> str:
    return page.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_start_here_lists_no_private_helper(build_site, tmp_path: Path) -> None:
    # express-like: helpers marked `@private` are used everywhere, yet are no place to start.
    files = {
        "lib/utils.js": (
            "/**\n * Compile etag value.\n *\n * @param {String} val\n * @api private\n */\n\n"
            "exports.compileETag = function(val) { return val; };\n\n"
            "/**\n * Render a view.\n * @public\n */\n\n"
            "exports.render = function(view) { return view; };\n"
        ),
    }
    for name in ("a", "b", "c"):
        files[f"lib/{name}.js"] = (
            "var compileETag = require('./utils').compileETag;\n"
            "var render = require('./utils').render;\n"
            f"function {name}() {{ compileETag(1); render(2); }}\n"
            f"module.exports = {name};\n"
        )
    site = build_site(write_files(tmp_path / "app", files))
    start = _section(site.text("overview.md"), "Start here")
    assert "[render](" in start
    assert "compileETag" not in start


def test_languages_count_production_apart_from_tests(build_site, tmp_path: Path) -> None:
    files = {
        "shop/core.py": "def run():\n    return 1\n",
        "shop/cart.py": "def add():\n    return 2\n",
        "tests/test_core.py": "from shop.core import run\n\n\ndef test_run():\n    run()\n"
        "    run()\n",
        "docs/conf.py": "project = 'shop'\n",
        "web/app.js": "function start() { return 1; }\n",
    }
    overview = build_site(write_files(tmp_path / "shop", files)).text("overview.md")
    table = _section(overview, "Languages")
    assert "| Language | Production files | Production lines | Other files | Other lines |" in table
    assert "| Python | 2 | 4 | 2 | 7 |" in table
    assert "| JavaScript | 1 | 1 | 0 | 0 |" in table


def test_languages_without_tests_keep_one_count(build_site, tmp_path: Path) -> None:
    files = {"shop/core.py": "def run():\n    return 1\n"}
    overview = build_site(write_files(tmp_path / "shop", files)).text("overview.md")
    table = _section(overview, "Languages")
    assert "| Python | 1 | 2 |" in table
    assert "Other files" not in table


EXPRESS_LIKE_README = """# Shop

[![NPM Version][npm-version-image]][npm-url]
[![CI][ci-image]][ci-url]

## Table of contents

- [Installation](#installation)
- [Team](#current-project-team-members)
  - [Triagers](#triagers)

```js
const shop = require('shop')
shop.open()
```

## Installation

Run `npm install shop`; see the [guide][guide] and note that `grid[i][j]` and grid[i][j] stay.

## Current project team members

* [alice](https://example.com/alice) - **Alice**

### Triagers

* [bob](https://example.com/bob) - **Bob**

## Emeritus

* Carol

## Usage

Open the shop.

[npm-version-image]: https://badgen.net/npm/v/shop
[npm-url]: https://npmjs.org/package/shop
[ci-image]: https://ci.example/badge.svg
[ci-url]: https://ci.example/shop
[guide]: https://shop.example/guide
"""


def test_readme_without_badge_debris_contents_or_people(build_site, tmp_path: Path) -> None:
    repo = write_files(tmp_path / "shop", {"README.md": EXPRESS_LIKE_README, "shop.js": "x;\n"})
    about = _section(build_site(repo).text("overview.md"), "What this repository is")
    # Reference-style badges leave nothing behind.
    assert "[]" not in about and "npm-url" not in about and "badgen" not in about
    # The table of contents goes (its links point nowhere here); the code below it stays.
    assert "Table of contents" not in about and "(#installation)" not in about
    assert "shop.open()" in about
    assert "### Installation" in about and "### Usage" in about
    # A reference link keeps its target; a subscript in prose is no link.
    assert "[guide](https://shop.example/guide)" in about
    assert "grid[i][j] stay" in about
    # People lists are no introduction to the project.
    for gone in ("team members", "Triagers", "Alice", "Bob", "Emeritus", "Carol"):
        assert gone not in about


def test_readme_underlined_licence_section_is_dropped(build_site, tmp_path: Path) -> None:
    readme = (
        "Okio\n====\n\nOkio complements `java.io`, see [the site][okio].\n\n"
        "Usage\n-----\n\nRead a file.\n\n"
        "License\n--------\n\n    Copyright 2013 Square, Inc.\n\n"
        "    Licensed under the Apache License, Version 2.0\n\n"
        " [okio]: https://square.github.io/okio/\n"
    )
    repo = write_files(tmp_path / "okio", {"README.md": readme, "Okio.kt": "class Okio\n"})
    about = _section(build_site(repo).text("overview.md"), "What this repository is")
    assert "Okio complements `java.io`, see [the site](https://square.github.io/okio/)." in about
    assert "### Usage" in about and "Read a file." in about
    assert "Apache" not in about and "Copyright" not in about and "License" not in about
    assert "====" not in about and "----" not in about


RST_README = """\
.. image:: https://img.shields.io/pypi/v/demo.svg
    :target: https://pypi.org/project/demo

|build|

=======
 Demo
=======

Demo is a **library** for `parsing things <https://example.com/docs>`_ with ``parse()``.
See :func:`demo.parse` and `the guide`_.

Installing
----------

Install it::

    pip install demo

Usage
-----

.. code-block:: python
   :linenos:

    import demo
    demo.parse("x")

>>> demo.parse("y")
'y'

* a bullet with <script>alert(1)</script>
* `evil <javascript:alert(1)>`_

License
-------

MIT, see LICENSE.

.. _the guide: https://example.com/guide
.. |build| image:: https://ci.example/badge.svg
"""


def test_rst_readme_is_rendered_as_markdown(build_site, tmp_path: Path) -> None:
    repo = write_files(tmp_path / "demo", {"README.rst": RST_README, "demo.py": "x = 1\n"})
    about = _section(build_site(repo).text("overview.md"), "What this repository is")
    assert "[parsing things](https://example.com/docs) with `parse()`." in about
    assert "See `demo.parse` and the guide." in about
    assert "### Installing" in about and "### Usage" in about
    assert "Install it:\n\n```\npip install demo\n```" in about
    assert '```python\nimport demo\ndemo.parse("x")\n```' in about
    assert "```pycon\n>>> demo.parse(\"y\")\n'y'\n```" in about
    # Badges, directives, substitutions and the licence are not the overview's business.
    for gone in ("shields.io", "badge.svg", "|build|", ":target:", ":linenos:", "MIT", ".. "):
        assert gone not in about
    # Repository text stays inert.
    assert "<script>" not in about and "javascript:" not in about
    assert "&lt;script&gt;" in about


def _functions(prefix: str, count: int) -> str:
    return "".join(f"def {prefix}{i}():\n    return {i}\n\n\n" for i in range(count))


def test_group_of_small_files_is_named_by_its_public_face(build_site, tmp_path: Path) -> None:
    # requests-like: a big folder split by file; among the small files, `compat` is used by
    # all the others, `api` is what the package re-exports, `_types` is private.
    uses_compat = "from shop.compat import compat0\n\n"
    files = {
        "shop/__init__.py": '"""The shop."""\n\nfrom .api import get, post\n',
        "shop/models.py": '"""Records."""\n' + _functions("model", 60),
        "shop/sessions.py": '"""Sessions."""\n' + _functions("session", 60),
        "shop/compat.py": '"""Python 2 compatibility, kept for old imports."""\n'
        + _functions("compat", 4),
        "shop/api.py": '"""The shop API: one call per HTTP verb."""\n'
        + uses_compat
        + "def get():\n    compat0()\n\n\ndef post():\n    compat0()\n\n\n"
        + _functions("verb", 2),
        "shop/auth.py": '"""Authentication handlers."""\n' + uses_compat + _functions("auth", 3),
        "shop/_types.py": uses_compat + _functions("typ", 3),
    }
    site = build_site(write_files(tmp_path / "shop", files))
    modules = _section(site.text("overview.md"), "Modules")
    group = next(ln for ln in modules.splitlines() if "components in 4 files" in ln)
    # Public files first, the re-exported one leading; the private one last.
    assert group.lstrip().startswith("- [api, compat, auth, \\_types](shop-api-related.md)")
    # Each file speaks for itself: the purpose is not compat's docstring alone.
    assert group.endswith(
        ": api: The shop API: one call per HTTP verb; auth: Authentication handlers; …"
    )
    page = site.text("shop-api-related.md")
    assert "- `api.py`" in page and "The shop API" in page
