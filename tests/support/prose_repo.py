"""A small repository for the model-prose tests and benchmark: three modules, one overview.

`app` is the parent of `app/core` and `app/util`; `CHANGED_UTIL` edits one file of
`app/util` without touching what other modules see of it, so a new commit needs new answers
for `app/util`, its parent `app` and the overview only.
"""

from __future__ import annotations

GREET = '''\
"""Greeting logic."""

from app.util.text import shout, title


class Greeter:
    """Says hello."""

    def greet(self, name: str) -> str:
        """Return a greeting."""
        return f"Hello, {title(name)}"

    def yell(self, name: str) -> str:
        return shout(self.greet(name))


def make_greeter() -> Greeter:
    return Greeter()


def main() -> None:
    print(make_greeter().greet("world"))
'''

TEXT = '''\
"""Text helpers."""


def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper() + "!"


def title(text: str) -> str:
    """Title-case the text."""
    return text.title()


def whisper(text: str) -> str:
    return text.lower()


def strip_all(text: str) -> str:
    return text.strip()
'''

PROSE_REPO: dict[str, str] = {
    "README.md": "# Greeter\n\nGreets people politely.\n",
    "app/__init__.py": '"""The app package: greetings and text helpers."""\n',
    "app/core/__init__.py": "",
    "app/core/greet.py": GREET,
    "app/util/__init__.py": "",
    "app/util/text.py": TEXT,
}

CHANGED_UTIL: dict[str, str] = {
    "app/util/text.py": TEXT.replace(
        "def whisper(text: str) -> str:\n",
        'def whisper(text: str) -> str:\n    """Lower-case the text, quietly."""\n',
    ),
}
# Pages whose model answer depends on app/util/text.py.
CHANGED_PAGES = {"app-util.md", "app.md", "overview.md"}
