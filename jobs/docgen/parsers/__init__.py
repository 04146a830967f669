"""Per-language source analysers producing `FileInfo` records."""

from __future__ import annotations

from ..model import FileInfo
from .python import parse_python
from .treesitter import parse_with_treesitter


def parse_source(rel: str, language: str, text: str, data: bytes) -> FileInfo:
    """Analyse one file; syntax errors become a note on the returned record, never an exception."""
    if language == "python":
        return parse_python(rel, text)
    return parse_with_treesitter(rel, language, text, data)
