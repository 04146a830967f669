"""Serve the Mermaid bundle carried by the pinned ``mermaidx`` wheel as a static file.

The viewer draws diagrams in the browser with the official Mermaid IIFE build
(it defines the global ``mermaid``). Rather than copy a 3.5 MB file into the
repository or load it from a CDN, this finder exposes the wheel's copy as
``vendor/mermaid.min.js``; whitenoise (``WHITENOISE_USE_FINDERS``) and
``collectstatic`` both pick it up through ``STATICFILES_FINDERS``.

``MERMAID_SHA256`` records the file we reviewed; a test fails if an upgrade of
``mermaidx`` changes it, so a new bundle is looked at before it is served.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage
from django.core.checks import Error as CheckError
from django.core.files.storage import FileSystemStorage

STATIC_PREFIX = "vendor"
STATIC_NAME = "mermaid.min.js"
STATIC_PATH = f"{STATIC_PREFIX}/{STATIC_NAME}"
# mermaidx 0.10.1: mermaid 11.16.0, dist IIFE build (ends by assigning globalThis.mermaid).
MERMAID_VERSION = "11.16.0"
MERMAID_SHA256 = "74d7c46dabca328c2294733910a8aa1ed0c37451776e8d5295da38a2b758fb9b"


def mermaid_bundle_path() -> Path | None:
    spec = importlib.util.find_spec("mermaidx")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "mermaid.js"
    return path if path.is_file() else None


class _SingleFileStorage(FileSystemStorage):
    """A storage holding one file under our chosen name (collectstatic opens it by name)."""

    def __init__(self, source: Path) -> None:
        super().__init__(location=str(source.parent))
        self.source = source
        self.prefix = STATIC_PREFIX

    def path(self, name: str) -> str:
        if name != STATIC_NAME:
            raise FileNotFoundError(name)
        return str(self.source)


class MermaidFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = mermaid_bundle_path()
        self.storage = _SingleFileStorage(source) if source else None

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if self.storage is None:
            return [
                CheckError(
                    "The mermaidx package (which carries mermaid.js) is not installed.",
                    hint="pip install -r requirements.txt",
                    id="jobs.E101",
                )
            ]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        # ``all`` is the pre-5.2 spelling of ``find_all``; accept both.
        find_all = find_all or kwargs.get("all", False)
        if path == STATIC_PATH and self.storage is not None:
            match = self.storage.path(STATIC_NAME)
            return [match] if find_all else match
        # Django's own finders return an empty list for "not found" either way.
        return []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        if self.storage is not None:
            yield STATIC_NAME, self.storage
