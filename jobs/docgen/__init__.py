"""Offline documentation generator: turns a repository checkout into CodeWiki Markdown pages.

Pure Python and tree-sitter; no Django imports here, so the job pipeline, the management
command and the benchmark all call `generate_docs` the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .prose import ProseReport, ProseSettings

ProgressCallback = Callable[[int, str], None]  # (percent 0-100, step text)

__version__ = "1.0.0"


class DocGenError(Exception):
    """The input cannot be used (missing repository directory and the like)."""


@dataclass
class GenerationOptions:
    max_files: int = 5000  # file-count budget; stop with a note in overview
    max_file_bytes: int = 1_000_000  # skip larger files
    include: list[str] = field(default_factory=list)  # glob patterns, relative paths
    exclude: list[str] = field(default_factory=list)
    main_model: str = ""  # "" -> metadata reports "static-analysis"
    repo_name: str = ""  # display name such as "owner/repo" (never an absolute server path)
    repo_url: str = ""  # canonical URL for links, may be ""
    commit: str = ""  # resolved sha, recorded in metadata
    prose: ProseSettings | None = None  # a model endpoint: adds model-written prose
    # A folder of per-file analysis results (see analysis_cache): unchanged files of a
    # new commit are not parsed again. "" parses everything.
    analysis_cache: str = ""


@dataclass
class GenerationResult:
    files_generated: list[str]  # relative paths of every file written into out_dir
    main_model: str
    component_count: int
    module_count: int
    prose: ProseReport | None = None  # what the prose step did, when it ran


def generate_docs(
    repo_dir: Path,
    out_dir: Path,
    options: GenerationOptions | None = None,
    progress: ProgressCallback | None = None,
) -> GenerationResult:
    """Analyse `repo_dir` and write the documentation site into `out_dir`."""
    return run(Path(repo_dir), Path(out_dir), options or GenerationOptions(), progress)


# Imported last: the pipeline needs the names above (a worker pays this once, not per job).
from .pipeline import run  # noqa: E402

__all__ = [
    "DocGenError",
    "GenerationOptions",
    "GenerationResult",
    "ProgressCallback",
    "generate_docs",
]
