"""Repository-level facts for the overview: README summary, package metadata, entry points."""

from __future__ import annotations

import configparser
import json
import os
import re
import tomllib
from dataclasses import dataclass, field

from .classify import FileRole, classify_path
from .readme import readme_markdown, rst_to_markdown
from .scan import read_repo_file

METADATA_MAX_BYTES = 512_000
README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md", "Readme.md")
README_SUMMARY_MAX = 1200
MAX_EXPORTS = 20
_MAIN_CLASS = re.compile(
    r"<mainClass>\s*([\w.$]+)\s*</mainClass>"
    r"|\bmainClass(?:Name)?\b\s*(?:\.set\(|=|:)?\s*\(?\s*[\"']([\w.$]+)[\"']"
)
_JVM_NAME = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


@dataclass
class EntryPoint:
    kind: str
    name: str
    target: str = ""


@dataclass
class ProjectInfo:
    name: str = ""
    version: str = ""
    description: str = ""
    readme_title: str = ""
    readme_summary: str = ""
    readme_markdown: str = ""  # a Markdown README's useful part, ready to show (readme.py)
    sources: list[str] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)
    go_module: str = ""


def read_project(root: str, real_root: str) -> ProjectInfo:
    info = ProjectInfo()
    for reader in (_pyproject, _setup_cfg, _package_json, _cargo, _go_mod, _jvm_main_class):
        try:
            reader(root, real_root, info)
        except Exception:
            continue
    for name in README_NAMES:
        data = read_repo_file(root, real_root, name, METADATA_MAX_BYTES)
        if data is not None:
            text = data.decode("utf-8", "replace")
            info.readme_title, info.readme_summary = _readme_summary(text)
            if name.lower().endswith(".md"):
                info.readme_markdown = readme_markdown(text)
            elif name.lower().endswith(".rst"):
                info.readme_markdown = readme_markdown(rst_to_markdown(text))
            break
    return info


_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def checkout_commit(root: str) -> str:
    """The commit a git checkout at `root` has out, read from its files ("" if none).

    Git itself is not run: a repository's own config could make it execute commands.
    """
    try:
        git = os.path.join(root, ".git")
        if os.path.isfile(git):  # a worktree or submodule: "gitdir: <path>"
            with open(git, encoding="utf-8") as fh:
                line = fh.read(4096).strip()
            if not line.startswith("gitdir:"):
                return ""
            git = os.path.join(root, line[len("gitdir:") :].strip())
        common = git
        if os.path.isfile(os.path.join(git, "commondir")):
            with open(os.path.join(git, "commondir"), encoding="utf-8") as fh:
                common = os.path.join(git, fh.read(4096).strip())
        with open(os.path.join(git, "HEAD"), encoding="utf-8") as fh:
            head = fh.read(4096).strip()
        if not head.startswith("ref:"):
            return head if _SHA.match(head) else ""
        ref = head[4:].strip()
        if not ref.startswith("refs/") or ".." in ref:
            return ""
        for base in (git, common):
            path = os.path.join(base, ref)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as fh:
                    sha = fh.read(200).strip()
                return sha if _SHA.match(sha) else ""
        packed = os.path.join(common, "packed-refs")
        if os.path.isfile(packed):
            with open(packed, encoding="utf-8") as fh:
                for line in fh:
                    sha, _, name = line.strip().partition(" ")
                    if name == ref and _SHA.match(sha):
                        return sha
    except (OSError, UnicodeDecodeError, ValueError):
        return ""
    return ""


def _read(root: str, real_root: str, name: str) -> str | None:
    data = read_repo_file(root, real_root, name, METADATA_MAX_BYTES)
    return None if data is None else data.decode("utf-8", "replace")


def _set_basics(
    info: ProjectInfo, source: str, name: object, version: object, desc: object
) -> None:
    if isinstance(name, str) and name and not info.name:
        info.name = name
    if isinstance(version, str) and version and not info.version:
        info.version = version
    if isinstance(desc, str) and desc and not info.description:
        info.description = desc
    info.sources.append(source)


def _pyproject(root: str, real_root: str, info: ProjectInfo) -> None:
    text = _read(root, real_root, "pyproject.toml")
    if text is None:
        return
    data = tomllib.loads(text)
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    if not project and not poetry:
        return
    _set_basics(
        info,
        "pyproject.toml",
        project.get("name") or poetry.get("name"),
        project.get("version") or poetry.get("version"),
        project.get("description") or poetry.get("description"),
    )
    scripts = {**poetry.get("scripts", {}), **project.get("scripts", {})}
    for name, target in scripts.items():
        info.entry_points.append(EntryPoint("console script", str(name), str(target)))
    for name, target in project.get("gui-scripts", {}).items():
        info.entry_points.append(EntryPoint("GUI script", str(name), str(target)))


def _setup_cfg(root: str, real_root: str, info: ProjectInfo) -> None:
    text = _read(root, real_root, "setup.cfg")
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    if parser.has_section("metadata"):
        meta = parser["metadata"]
        _set_basics(
            info, "setup.cfg", meta.get("name"), meta.get("version"), meta.get("description")
        )
    if parser.has_option("options.entry_points", "console_scripts"):
        for line in parser.get("options.entry_points", "console_scripts").splitlines():
            if "=" in line:
                name, target = line.split("=", 1)
                info.entry_points.append(EntryPoint("console script", name.strip(), target.strip()))


def _package_json(root: str, real_root: str, info: ProjectInfo) -> None:
    text = _read(root, real_root, "package.json")
    if text is None:
        return
    data = json.loads(text)
    if not isinstance(data, dict):
        return
    _set_basics(
        info, "package.json", data.get("name"), data.get("version"), data.get("description")
    )
    bin_field = data.get("bin")
    if isinstance(bin_field, str):
        info.entry_points.append(EntryPoint("npm bin", str(data.get("name", "")), bin_field))
    elif isinstance(bin_field, dict):
        for name, target in bin_field.items():
            info.entry_points.append(EntryPoint("npm bin", str(name), str(target)))
    scripts = data.get("scripts")
    if isinstance(scripts, dict):
        for name, command in list(scripts.items())[:30]:
            info.entry_points.append(EntryPoint("npm script", str(name), str(command)))
    if isinstance(data.get("main"), str):
        info.entry_points.append(EntryPoint("package main", data["main"]))
    elif "exports" not in data and _read(root, real_root, "index.js") is not None:
        # Node's default when package.json names no entry: `require("<name>")` loads it.
        info.entry_points.append(EntryPoint("package main", "index.js (Node's default)"))
    exports = data.get("exports")
    if isinstance(exports, str):
        info.entry_points.append(EntryPoint("package export", ".", exports))
    elif isinstance(exports, dict):
        for key, target in list(exports.items())[:MAX_EXPORTS]:
            if not isinstance(key, str) or not key.startswith("."):
                continue  # conditions at the top level ("import", "require"): one export
            shown = _export_target(target)
            info.entry_points.append(EntryPoint("package export", key, shown))
        if exports and not any(isinstance(k, str) and k.startswith(".") for k in exports):
            info.entry_points.append(EntryPoint("package export", ".", _export_target(exports)))


def _export_target(target: object) -> str:
    """The file a package.json export condition tree leads to (first string found)."""
    for _ in range(6):
        if isinstance(target, str):
            return target
        if isinstance(target, dict) and target:
            preferred = [k for k in ("import", "require", "default", "node") if k in target]
            target = target[preferred[0]] if preferred else next(iter(target.values()))
            continue
        break
    return ""


def _jvm_main_class(root: str, real_root: str, info: ProjectInfo) -> None:
    """`mainClass` of Maven (pom.xml) and Gradle (`application { mainClass … }`) builds."""
    names = ["pom.xml", "build.gradle", "build.gradle.kts"]
    try:
        subdirs = sorted(
            e.name
            for e in os.scandir(root)
            if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
        )[:50]
    except OSError:
        subdirs = []
    for folder in ["", *subdirs]:
        for name in names:
            text = _read(root, real_root, f"{folder}/{name}" if folder else name)
            if text is None:
                continue
            where = f"{folder}/{name}" if folder else name
            if classify_path(f"{where}/Main.java", "java") is not FileRole.PRODUCTION:
                continue  # the build of a test or sample project
            for match in _MAIN_CLASS.finditer(text):
                value = match.group(1) or match.group(2)
                if value and _JVM_NAME.match(value):
                    info.entry_points.append(EntryPoint("main class", value, where))


def _cargo(root: str, real_root: str, info: ProjectInfo) -> None:
    text = _read(root, real_root, "Cargo.toml")
    if text is None:
        return
    data = tomllib.loads(text)
    package = data.get("package", {})
    if package:
        _set_basics(
            info,
            "Cargo.toml",
            package.get("name"),
            package.get("version"),
            package.get("description"),
        )
    for binary in data.get("bin", []):
        if isinstance(binary, dict) and binary.get("name"):
            info.entry_points.append(
                EntryPoint("cargo binary", str(binary["name"]), str(binary.get("path", "")))
            )


def _go_mod(root: str, real_root: str, info: ProjectInfo) -> None:
    text = _read(root, real_root, "go.mod")
    if text is None:
        return
    match = re.search(r"^\s*module\s+(\S+)", text, re.MULTILINE)
    if match:
        info.go_module = match.group(1).strip('"')
        _set_basics(info, "go.mod", info.go_module, None, None)


def _readme_summary(text: str) -> tuple[str, str]:
    """The first heading and the first prose paragraphs, skipping badges, HTML and directives."""
    title = ""
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        underline = bool(line) and set(line) <= set("=-~^*#")
        if line.startswith("#") or underline:
            if line.startswith("#") and not underline and not title:
                title = line.lstrip("#").strip()
            elif underline and len(current) == 1:
                # reStructuredText: the line above an underline is a heading, not prose.
                title = title or current[0]
                current = []
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            if sum(map(len, paragraphs)) > README_SUMMARY_MAX // 2:
                break
            continue
        if line.startswith(("[![", "![", "<", "..", ":", "|")):
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    summary = "\n\n".join(paragraphs)
    if len(summary) > README_SUMMARY_MAX:
        summary = summary[:README_SUMMARY_MAX].rsplit(" ", 1)[0] + " …"
    return title, summary
