"""What each file is for: production code, tests, examples, benchmarks, or docs and tooling.

Decided from the path alone, by the conventions of each ecosystem, so it is cheap, stable
and the same for every run. The rules, in order:

1. a test file name (`test_*.py`, `*_test.go`, `*.spec.ts`, `FooTest.java`, `*_spec.rb`, …);
2. the outermost folder that names a role (`tests/`, `src/test/java`, `__tests__`, `examples/`,
   `benches/`, `docs/`, `Newtonsoft.Json.Tests/`, `commonTest/`, …);
3. a benchmark or build/tooling file name (`bench_*.py`, `FooBenchmark.java`, `setup.py`,
   `build.rs`, `vite.config.ts`, …);
4. otherwise production code.

`jobs.docgen.pipeline` stores the result on every `FileInfo` and `Component` (`role`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from .model import FileInfo


class FileRole(StrEnum):
    PRODUCTION = "production"
    TEST = "test"
    EXAMPLE = "example"
    BENCHMARK = "benchmark"
    DOCS_TOOLING = "docs_tooling"

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    FileRole.PRODUCTION: "Production code",
    FileRole.TEST: "Tests",
    FileRole.EXAMPLE: "Examples",
    FileRole.BENCHMARK: "Benchmarks",
    FileRole.DOCS_TOOLING: "Docs and tooling",
}

# Roles whose files go to the appendix of the module tree rather than the main modules.
APPENDIX_ROLES = frozenset(
    {FileRole.TEST, FileRole.EXAMPLE, FileRole.BENCHMARK, FileRole.DOCS_TOOLING}
)

# Folder names are split into tokens at "-", "_" and "." (`test-shrinker`, `docs-v3`,
# `Newtonsoft.Json.Tests`, `okio-testing-support`), then matched token by token.
_TOKEN_SPLIT = re.compile(r"[-_.\s]+")
_TEST_TOKENS = frozenset(
    {"test", "tests", "testdata", "testsuite", "testutil", "testutils", "e2e", "unittests"}
)
# `spec/` holds tests in Ruby (RSpec), JavaScript/TypeScript (Jasmine, Mocha), PHP (phpspec)
# and Kotlin (Spek); in C, Go, Rust or Python a `spec` folder is as likely a specification.
_SPEC_LANGUAGES = frozenset({"ruby", "javascript", "typescript", "tsx", "php", "kotlin", "java"})
_EXAMPLE_TOKENS = frozenset(
    {"example", "examples", "sample", "samples", "demo", "demos", "playground", "tutorial"}
)
_BENCHMARK_TOKENS = frozenset({"bench", "benches", "benchmark", "benchmarks", "jmh"})
_DOCS_TOOLING_DIRS = frozenset(
    {
        "doc",
        "docs",
        "documentation",
        "website",
        "site",
        "scripts",
        "script",
        "tools",
        "tooling",
        "hack",
        "ci",
        "gradle",
        "buildsrc",
        "build-support",
        "build_tools",
        "build-tools",
        "buildscripts",
        "devtools",
        "docs_src",
    }
)
_EXACT_TEST_DIRS = frozenset({"__tests__", "__mocks__", "__fixtures__", "fixtures", "spec"})
# Kotlin multiplatform and Android source sets (`commonTest`, `jvmTest`, `androidTest`) and
# C# test projects (`UnitTests`): a lower-case letter or digit, then `Test` or `Tests`.
_CAMEL_TEST_DIR = re.compile(r"[a-z0-9]Tests?$")

_TEST_FILE = re.compile(
    r"""^(?:
        test_.+\.py | .+_test\.py | tests\.py | conftest\.py
      | .+_test\.go
      | .+\.(?:test|spec|e2e|test-d)\.[cm]?[jt]sx?
      | Test[A-Z0-9]\w*\.(?:java|kt|kts)
      | \w+(?:Test|Tests|TestCase|IT)\.(?:java|kt|kts)
      | \w+(?:Test|Tests)\.(?:cs|php)
      | .+_(?:spec|test)\.rb | test_.+\.rb
      | tests\.rs
      | .+[_-](?:test|unittest|tests)\.(?:c|cc|cpp|cxx|h|hpp) | test_.+\.(?:c|cc|cpp|cxx)
    )$""",
    re.VERBOSE,
)
_BENCHMARK_FILE = re.compile(
    r"""^(?:
        (?:bench|benchmark)_.+\.py
      | .+[_.-](?:bench|benchmark)\.\w+
      | \w+Benchmarks?\.(?:java|kt|cs)
    )$""",
    re.VERBOSE,
)
_TOOLING_FILE = re.compile(
    r"""^(?:
        setup\.py | noxfile\.py | fabfile\.py | build\.rs
      | .+\.gradle\.kts
      | [\w.-]+\.config\.[cm]?[jt]s | [\w.-]+\.conf\.js
      | gulpfile\.[cm]?[jt]s | Gruntfile\.[cm]?[jt]s
    )$""",
    re.VERBOSE,
)


def _folder_role(segment: str, language: str) -> FileRole | None:
    lowered = segment.lower()
    if lowered in _EXACT_TEST_DIRS:
        if lowered == "spec" and language not in _SPEC_LANGUAGES:
            return None
        return FileRole.TEST
    if lowered in _DOCS_TOOLING_DIRS and not (language == "go" and lowered in ("doc", "docs")):
        return FileRole.DOCS_TOOLING
    tokens = [t for t in _TOKEN_SPLIT.split(lowered) if t]
    token_set = set(tokens)
    if token_set & _TEST_TOKENS or _CAMEL_TEST_DIR.search(segment):
        return FileRole.TEST
    # `okio-testing-support`, `test-utils`: alone, `testing` is as often a library
    # (`flask/testing.py`, Go's `testing`) as a test folder.
    if "testing" in token_set and len(tokens) > 1:
        return FileRole.TEST
    if language in _SPEC_LANGUAGES and token_set & {"spec", "specs"}:
        return FileRole.TEST
    if token_set & _EXAMPLE_TOKENS:
        return FileRole.EXAMPLE
    if token_set & _BENCHMARK_TOKENS:
        return FileRole.BENCHMARK
    # A Go folder of .go files is a package (`cobra/doc` generates documentation).
    if token_set & {"docs", "doc"} and language != "go":
        return FileRole.DOCS_TOOLING
    return None


def classify_path(rel_path: str, language: str = "") -> FileRole:
    """The role of the file at `rel_path` ("/"-separated, relative to the repository root).

    `language` is the docgen language key (`python`, `ruby`, `typescript`, …); it only matters
    for conventions one ecosystem does not share with the others (`spec/` folders).
    """
    parts = [p for p in rel_path.replace("\\", "/").split("/") if p]
    if not parts:
        return FileRole.PRODUCTION
    name = parts[-1]
    if _TEST_FILE.match(name):
        return FileRole.TEST
    for segment in parts[:-1]:
        role = _folder_role(segment, language)
        if role is not None:
            return role
    if _BENCHMARK_FILE.match(name):
        return FileRole.BENCHMARK
    if _TOOLING_FILE.match(name):
        return FileRole.DOCS_TOOLING
    return FileRole.PRODUCTION


def assign_roles(files: list[FileInfo]) -> None:
    """Store each file's role on it and on its components.

    A repository with no production code at all (a collection of examples, say) is documented
    as it is: everything counts as production rather than leaving the main tree empty.
    """
    roles = [classify_path(info.path, info.language) for info in files]
    if FileRole.PRODUCTION not in roles:
        roles = [FileRole.PRODUCTION] * len(roles)
    for info, role in zip(files, roles, strict=True):
        info.role = role.value
        for comp in info.components:
            comp.role = role.value


def promote_shipped_test_support(
    files: list[FileInfo], resolve: Callable[[str, str], list[str]]
) -> list[str]:
    """Production code that imports a file under a test folder ships it: `django/test/`,
    whose `TestCase` is part of Django's API, is production code, not a test.

    Only files put aside by a folder inside the package are promoted: never test files by
    name (`test_*.py`, `*_test.go`), never a top-level `tests/` folder (production code that
    imports from there uses test code, and that link is dropped). `resolve(target,
    importer)` maps an import target to files.
    Returns the promoted paths.
    """
    by_path = {info.path: info for info in files}
    promoted: list[str] = []
    pending = [info for info in files if info.role == FileRole.PRODUCTION]
    while pending:
        found: list[FileInfo] = []
        for info in pending:
            for target in info.imports:
                for path in resolve(target, info.path):
                    other = by_path.get(path)
                    if (
                        other is not None
                        and other.role == FileRole.TEST
                        and _inside_package(path, other.language)
                    ):
                        other.role = FileRole.PRODUCTION.value
                        for comp in other.components:
                            comp.role = other.role
                        promoted.append(path)
                        found.append(other)
        pending = found
    return sorted(promoted)


def _inside_package(path: str, language: str) -> bool:
    """Put aside by a test folder below some other folder (`django/test/`), not by name."""
    parts = path.split("/")
    if _TEST_FILE.match(parts[-1]):
        return False
    for i, segment in enumerate(parts[:-1]):
        if _folder_role(segment, language) is not None:
            return i > 0
    return False
