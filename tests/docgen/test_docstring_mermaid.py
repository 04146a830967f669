"""Mermaid blocks written by a repository's authors render as code; only generated ones draw."""

from __future__ import annotations

from pathlib import Path

from jobs.docgen import GenerationOptions, generate_docs
from jobs.markdown_render import render_markdown
from tests.support.gitserve import write_files

AUTHOR_DIAGRAM = "graph LR\n    AuthorNode --> Elsewhere"


def test_docstring_and_readme_mermaid_become_code(tmp_path: Path) -> None:
    fence = f"```mermaid\n{AUTHOR_DIAGRAM}\n```"
    repo = write_files(
        tmp_path / "repo",
        {
            "README.md": f"# Demo\n\nA demo project.\n\n{fence}\n",
            "demo/__init__.py": f'"""The demo package.\n\n{fence}\n"""\n',
            "demo/core.py": (
                '"""Core."""\n\n\nclass Engine:\n'
                f'    """Runs things.\n\n    ```Mermaid\n    {AUTHOR_DIAGRAM}\n    ```\n    """\n\n'
                "    def run(self) -> None:\n        pass\n\n\n"
                "def main() -> None:\n    Engine().run()\n"
            ),
        },
    )
    out = tmp_path / "docs"
    generate_docs(repo, out, GenerationOptions(repo_name="owner/demo"))

    drawn = 0
    for page in out.rglob("*.md"):
        html = render_markdown(page.read_text(encoding="utf-8"), page=page.name)
        for chunk in html.split('<pre class="mermaid">')[1:]:
            diagram = chunk.split("</pre>", 1)[0]
            assert "AuthorNode" not in diagram, page.name
            drawn += 1
        if "AuthorNode" in page.read_text(encoding="utf-8"):
            assert "AuthorNode" in html  # still shown, as code
    assert drawn >= 1  # the generator's own diagrams still draw
