"""Usage examples for public components, taken from the repository itself.

A reader learns an API fastest from a short real call. For every public production
component this module collects up to `MAX_EXAMPLES` snippets, each with the `path:line` it
came from, from (in this order of preference):

1. examples inside the component's own doc comment (Python doctests and literal blocks
   that call it, JSDoc/TSDoc `@example`, rustdoc fences, Javadoc/KDoc `<pre>`, C#
   `<code>`): the author's own, taken from the doc text the parser already extracted;
2. Go `Example*` functions in `_test.go` files (`ExampleFoo`, `ExampleFoo_Bar`), which Go's
   own documentation shows as the component's example;
3. code blocks of the README that name the component;
4. call sites in example code, then in tests: the statement that uses the component, or
   the whole caller when it is short.

A doc example stays in the rendered doc text too (it belongs to the author's prose, often
under an "Examples" heading or after "Usage::"); under Examples it is labelled as coming
from the doc comment, with its `path:line`, so the repetition reads as a reference. The
same code found again (a README block copied from a docstring) is listed once. Candidates
are sorted on a stable key before they are cut, so the same commit always gives the same
examples.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from .classify import FileRole
from .graph import Graph
from .markdown import code_fence, code_span
from .model import Component, FileInfo
from .parsers.treesitter import JS_FAMILY

MAX_EXAMPLES = 3
MAX_SNIPPET_LINES = 12  # a caller this short is shown whole
MAX_STATEMENT_LINES = 8  # else the statement that uses the component, up to this many lines
MAX_GO_EXAMPLE_LINES = 30
MAX_README_BLOCK_LINES = 25
MIN_README_NAME = 4  # shorter names match too much prose and code by accident
_README_NAMES = ("README.md", "README.rst", "README.markdown", "readme.md", "Readme.md")
_README_FENCE = re.compile(
    r"^([ \t]*)(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^\1\2[ \t]*$", re.M | re.S
)
_RST_CODE = re.compile(
    r"^(?:\.\. (?:code-block|code|sourcecode)::[^\n]*|[^\n]*::)[ \t]*\n(?:[ \t]*:[^\n]*\n)*\n"
    r"((?:(?:[ \t]+[^\n]*)?\n)+)",
    re.M,
)
_SKIP_LINE = re.compile(
    r"^\s*(?:import\s|from\s+\S+\s+import\s|#include|using\s|require\(|use\s|package\s|"
    r"@|//|#(?!\[)|/\*|\*|\}|\)|$)"
)
_OPENERS = {"(": ")", "[": "]", "{": "}"}
# README block languages that show no call of the code: config, shell sessions, output.
_NOT_CODE = frozenset(
    {"mermaid", "text", "console", "sh", "bash", "shell", "txt", "diff", "toml", "yaml", "yml"}
    | {"json", "ini", "cfg", "xml", "html", "css", "output", "plaintext", "powershell", "cmd"}
    | {"dockerfile", "makefile", "sql", "csv", "log", "md", "markdown", "rst", "svg"}
)
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*|--|;)")
_LANGUAGE_FENCE = {"tsx": "tsx", "csharp": "csharp", "cpp": "cpp"}


@dataclass(frozen=True, slots=True)
class Example:
    path: str
    line: int
    code: str
    language: str  # the fence language
    # True for an example written in the component's own doc comment.
    from_doc: bool = False


def _fence_language(language: str) -> str:
    return _LANGUAGE_FENCE.get(language, language)


def _dedent(lines: list[str]) -> str:
    lines = [ln.rstrip().expandtabs(4) for ln in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    margin = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    return "\n".join(ln[margin:] for ln in lines)


def _balanced_end(lines: list[str], start: int, limit: int) -> int:
    """Index past the last line of the statement starting at `start` (brackets balanced)."""
    depth = 0
    end = start
    for i in range(start, min(len(lines), start + limit)):
        for ch in lines[i]:
            if ch in _OPENERS:
                depth += 1
            elif ch in ")]}":
                depth -= 1
        end = i + 1
        if depth <= 0 and not _CONTINUES.search(lines[i]):
            break
    return end


_ASSIGNED = re.compile(
    r"^\s*(?:(?:var|let|const|val|final|auto)\s+|[A-Z][\w$<>,\[\] ]*\s+)?"
    r"([A-Za-z_$][\w$]*)\s*(?::[^=]+)?(?::=|=)(?!=)"
)
MAX_FOLLOWING_USES = 4


def _with_uses(lines: list[str], start: int, end: int) -> int:
    """A statement that creates something, with the lines right after it that use it
    (`buffer = Buffer()` then `buffer.write(...)`): a construction alone shows little."""
    match = _ASSIGNED.match(lines[start])
    if match is None:
        return end
    variable = re.compile(rf"(?<![\w$.]){re.escape(match.group(1))}\b")
    indent = len(lines[start]) - len(lines[start].lstrip())
    taken = 0
    while end < len(lines) and taken < MAX_FOLLOWING_USES:
        line = lines[end]
        if not line.strip() or len(line) - len(line.lstrip()) != indent:
            break
        if not variable.search(line):
            break
        stop = _balanced_end(lines, end, MAX_STATEMENT_LINES)
        end = stop
        taken += 1
    return end


def _clarity(code: str) -> int:
    """Sort key: a few lines that create and use something teach more than one line; past
    that, shorter is clearer."""
    lines = code.count("\n") + 1
    return lines + (MAX_STATEMENT_LINES if lines == 1 else 0)


class _Sources:
    """File text read on demand, once, split into lines."""

    def __init__(self, read: Callable[[str], str | None]) -> None:
        self.read = read
        self.cache: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self.cache:
            text = self.read(path)
            self.cache[path] = text.split("\n") if text is not None else None
        return self.cache[path]


# How a use of a component reads in code: a call, a construction, a member access (a bare
# type annotation such as `private Gson gson;` shows nothing of how to use it). One pattern
# for every name, the name checked on each hit: compiling a pattern per component cost a
# third of the example search on Django.
_IDENT = r"[A-Za-z_$][\w$]*"
_CALLED = re.compile(rf"(?<![\w$])({_IDENT})\s*(?:\(|<[^<>()]*>\s*\(|!\()")
_USED = re.compile(
    rf"(?:new\s+|&|(?<![\w$]))({_IDENT})\s*(?:\(|\{{|\.|::|<[^<>()]*>\s*[({{])"
    rf"|new\s+({_IDENT})(?![\w$])"
)


class _Mention:
    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.pattern = _CALLED if kind in ("function", "method") else _USED

    def search(self, text: str) -> bool:
        if self.name not in text:
            return False
        return any(self.name in match.groups() for match in self.pattern.finditer(text))


def _names(text: str, name: str) -> bool:
    """Whether `text` holds `name` as a whole word (not inside a longer identifier)."""
    start = text.find(name)
    while start != -1:
        end = start + len(name)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "_$" or after.isalnum() or after in "_$"):
            return True
        start = text.find(name, start + 1)
    return False


# A line ending like this continues the statement on the next line.
_CONTINUES = re.compile(r"(?:[=+\-*/,.(\[{&|?:\\]|\b(?:and|or|not|in))\s*$")


def _call_site(comp: Component, user: Component, lines: list[str], language: str) -> Example | None:
    pattern = _Mention(comp.name, comp.kind)
    first = user.start_line - 1
    last = min(user.end_line, len(lines))
    for i in range(first, last):
        line = lines[i]
        if _SKIP_LINE.match(line) or not pattern.search(line):
            continue
        if i == first and user.kind in ("function", "method"):
            continue  # the caller's own header
        if last - first <= MAX_SNIPPET_LINES:
            return Example(user.file, user.start_line, _dedent(lines[first:last]), language)
        end = _with_uses(lines, i, _balanced_end(lines, i, MAX_STATEMENT_LINES))
        code = _dedent(lines[i:end])
        if len(code) > 600:
            return None
        return Example(user.file, i + 1, code, language)
    return None


_RECEIVER_CALL = re.compile(r"([A-Za-z_$][\w$]*)[ \t]*(?:\.|->|::)[ \t]*([A-Za-z_$][\w$]*)[ \t]*\(")
MAX_SCANNED_FILES = 3000
_CONSTRUCTED = re.compile(
    r"\b([A-Za-z_$][\w$]*)\s*(?::=|=)\s*(?:new\s+|&)?([A-Z][\w$]*)(?:<[^<>\n]*>)?\s*[({]"
)
_DECLARED = re.compile(r"\b([A-Z][\w$]*)(?:<[^<>\n]*>)?\s+([a-z_$][\w$]*)\s*=[^=]")


def _receiver_calls(
    files: dict[str, FileInfo], sources: _Sources
) -> dict[str, list[tuple[str, int, str]]]:
    """`receiver.name(` calls in test and example code: name -> [(path, line index, receiver)].

    Methods are called on instances and packages, which name resolution cannot follow
    (`app.use(...)`, `gson.toJson(...)`, `requests.get(...)`); the receiver's name says
    whose method it is.
    """
    calls: dict[str, list[tuple[str, int, str]]] = {}
    scanned = 0
    for path in sorted(files):
        info = files[path]
        if info.role not in (FileRole.TEST, FileRole.EXAMPLE) or not info.components:
            continue
        scanned += 1
        if scanned > MAX_SCANNED_FILES:
            break
        lines = sources.lines(path)
        if lines is None:
            continue
        # Variables the file assigns a construction to (`rootCmd := &Command{`,
        # `Gson gson = new Gson()`, `app = Flask(__name__)`): their calls are the type's.
        types: dict[str, str] = {}
        text = "\n".join(lines)
        for match in _CONSTRUCTED.finditer(text):
            types.setdefault(match.group(1), match.group(2))
        for match in _DECLARED.finditer(text):
            types.setdefault(match.group(2), match.group(1))
        for index, line in enumerate(lines):
            if "(" not in line:
                continue
            for match in _RECEIVER_CALL.finditer(line):
                receiver = match.group(1)
                calls.setdefault(match.group(2), []).append((path, index, receiver))
                typed = types.get(receiver)
                if typed is not None and typed != receiver:
                    calls[match.group(2)].append((path, index, typed))
    return calls


def _receivers(comp: Component, components: dict[str, Component]) -> set[str]:
    """Names a caller plausibly calls `comp` through: its class or object (or an instance
    named after it), else its file's or package's name."""
    if comp.parent is not None:
        parent = components.get(comp.parent)
        if parent is None:
            return set()
        name = parent.name
        names = {name}
        if len(name) >= 3:
            names.add(name[0].lower() + name[1:])
        return names
    parts = comp.file.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    names = {stem, *parts[-3:-1]}
    return {n for n in names if len(n) >= 3 and n not in ("src", "lib", "index", "main", "mod")}


def _enclosing(info: FileInfo, line: int) -> Component | None:
    """The innermost function or method of the file around 1-based `line`."""
    best = None
    for comp in info.components:
        if (
            comp.start_line <= line <= comp.end_line
            and comp.kind in ("function", "method")
            and (best is None or comp.start_line >= best.start_line)
        ):
            best = comp
    return best


def _receiver_example(
    comp: Component,
    hits: list[tuple[str, int, str]],
    files: dict[str, FileInfo],
    sources: _Sources,
    receivers: set[str],
) -> list[tuple[int, int, str, int, Example]]:
    found = []
    seen: set[str] = set()
    lines_seen: set[tuple[str, int]] = set()
    for path, index, receiver in hits:
        if receiver not in receivers or (path, index) in lines_seen:
            continue
        lines_seen.add((path, index))
        info = files[path]
        lines = sources.lines(path)
        if lines is None:
            continue
        if _SKIP_LINE.match(lines[index]):
            continue
        language = _fence_language(info.language)
        user = _enclosing(info, index + 1)
        if user is not None and (user.id in seen or _is_go_example(user)):
            continue
        if user is not None and user.end_line - user.start_line < MAX_SNIPPET_LINES:
            seen.add(user.id)
            first = user.start_line - 1
            example = Example(
                path, user.start_line, _dedent(lines[first : user.end_line]), language
            )
        else:
            end = _with_uses(lines, index, _balanced_end(lines, index, MAX_STATEMENT_LINES))
            example = Example(path, index + 1, _dedent(lines[index:end]), language)
        if len(example.code) > 800:
            continue
        rank = 0 if info.role == FileRole.EXAMPLE else 2
        found.append((rank, _clarity(example.code), path, example.line, example))
    return found


_JS_IMPORT = re.compile(
    r"(?:\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*(['\"])(\.[^'\"\n]*)\2\s*\)"
    r"|\bimport\s+([A-Za-z_$][\w$]*)\s+from\s+(['\"])(\.[^'\"\n]*)\5)"
)
_JS_DEFAULT = re.compile(
    r"^\s*(?:(?:exports\s*=\s*)?module\.exports\s*=\s*(?:exports\s*=\s*)?|export\s+default\s+)"
    r"(?:require\(\s*(['\"])(\.[^'\"\n]*)\1\s*\)|([A-Za-z_$][\w$]*))\s*;?\s*$",
    re.M,
)
_JS_SUFFIXES = ("", ".js", ".ts", ".mjs", ".cjs", ".tsx", "/index.js", "/index.ts")


def _js_module(files: dict[str, FileInfo], base: str, target: str) -> str | None:
    """The repository file a relative `require`/`import` names, if it is one."""
    joined = posixpath.normpath(posixpath.join(base, target))
    if joined.startswith(".."):
        return None
    joined = "" if joined == "." else joined
    for suffix in _JS_SUFFIXES:
        candidate = (joined + suffix).lstrip("/")
        if candidate in files:
            return candidate
    return None


def _default_export(files: dict[str, FileInfo], sources: _Sources, path: str) -> str | None:
    """The id of the component a JS module exports as a whole (`module.exports = fn`),
    following `module.exports = require('./lib/x')` a few steps."""
    for _ in range(4):
        lines = sources.lines(path)
        if lines is None:
            return None
        # The last assignment wins, as at run time.
        assignments = list(_JS_DEFAULT.finditer("\n".join(lines)))
        if not assignments:
            return None
        match = assignments[-1]
        if match.group(3):
            name = match.group(3)
            comp = next(
                (c for c in files[path].components if c.parent is None and c.name == name), None
            )
            return comp.id if comp is not None else None
        nxt = _js_module(files, posixpath.dirname(path), match.group(2))
        if nxt is None:
            return None
        path = nxt
    return None


def _default_export_calls(
    files: dict[str, FileInfo], sources: _Sources
) -> dict[str, list[tuple[str, int, str]]]:
    """Calls of a module's default export under the name a test or example gave it
    (`var express = require('../..')` then `express()`): component id -> hits."""
    found: dict[str, list[tuple[str, int, str]]] = {}
    exports: dict[str, str | None] = {}
    for path in sorted(files):
        info = files[path]
        if info.language not in JS_FAMILY or info.role not in (
            FileRole.TEST,
            FileRole.EXAMPLE,
        ):
            continue
        lines = sources.lines(path)
        if lines is None:
            continue
        text = "\n".join(lines)
        aliases: dict[str, str] = {}
        for match in _JS_IMPORT.finditer(text):
            alias = match.group(1) or match.group(4)
            module = _js_module(files, posixpath.dirname(path), match.group(3) or match.group(6))
            if module is None:
                continue
            if module not in exports:
                exports[module] = _default_export(files, sources, module)
            if exports[module] is not None:
                aliases[alias] = exports[module]  # type: ignore[assignment]
        if not aliases:
            continue
        call = re.compile(r"(?<![\w.$])(" + "|".join(map(re.escape, aliases)) + r")\s*\(")
        for index, line in enumerate(lines):
            if "(" not in line or "require(" in line:
                continue
            for match in call.finditer(line):
                found.setdefault(aliases[match.group(1)], []).append((path, index, ""))
    return found


def _is_go_example(comp: Component) -> bool:
    return comp.name.startswith("Example") and comp.file.endswith("_test.go")


def _go_example_target(name: str) -> tuple[str, ...]:
    """`ExampleFoo` -> ("Foo",), `ExampleFoo_Bar` -> ("Foo.Bar", "Foo"), `Example` -> ()."""
    rest = name[len("Example") :]
    parts = [p for p in rest.split("_") if p]
    if not parts or not rest or rest.startswith("_"):
        return ()  # the package's own example
    if len(parts) > 1 and parts[1][:1].isupper():
        return (f"{parts[0]}.{parts[1]}",)
    return (parts[0],)


def _go_examples(
    files: dict[str, FileInfo], sources: _Sources, by_qualname: dict[str, list[Component]]
) -> dict[str, list[Example]]:
    found: dict[str, list[Example]] = {}
    for path in sorted(files):
        info = files[path]
        if info.language != "go" or not path.endswith("_test.go"):
            continue
        for comp in info.components:
            if comp.parent is not None or not comp.name.startswith("Example"):
                continue
            targets = _go_example_target(comp.name)
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            for qualname in targets:
                candidates = [
                    c
                    for c in by_qualname.get(qualname, [])
                    if c.file.endswith(".go")
                    and (c.file.rsplit("/", 1)[0] if "/" in c.file else "") == folder
                ]
                if not candidates:
                    continue
                lines = sources.lines(path)
                if lines is None:
                    continue
                body = lines[comp.start_line : comp.end_line - 1]  # inside the braces
                if not body or len(body) > MAX_GO_EXAMPLE_LINES:
                    continue
                example = Example(path, comp.start_line, _dedent(body), "go")
                for target in candidates:
                    found.setdefault(target.id, []).append(example)
                break
    return found


def _readme_blocks(text: str, markdown: bool) -> list[tuple[int, str, str]]:
    """(1-based line, language, code) of the README's code blocks."""
    blocks = []
    if markdown:
        for match in _README_FENCE.finditer(text):
            code = match.group(4)
            lang = match.group(3).lower()
            if lang in _NOT_CODE:
                continue
            line = text.count("\n", 0, match.start()) + 2
            blocks.append((line, lang, code))
    else:
        for match in _RST_CODE.finditer(text):
            line = text.count("\n", 0, match.start(1)) + 1
            blocks.append((line, "", match.group(1)))
    return blocks


def _readme_examples(
    read: Callable[[str], str | None], public: dict[str, list[Component]], default_language: str
) -> dict[str, list[Example]]:
    found: dict[str, list[Example]] = {}
    for name in _README_NAMES:
        text = read(name)
        if text is None:
            continue
        for line, lang, code in _readme_blocks(text, not name.endswith(".rst")):
            lines = code.split("\n")
            if len(lines) > MAX_README_BLOCK_LINES or "$ " in code[:4]:
                continue
            code_only = "\n".join(ln for ln in lines if not _COMMENT_LINE.match(ln))
            words = set(re.findall(r"[A-Za-z_][\w]*", code_only))
            for word in sorted(words):
                comps = public.get(word)
                if not comps or len(comps) != 1 or len(word) < MIN_README_NAME:
                    continue
                comp = comps[0]
                if comp.kind in ("function", "method") and not _Mention(word, comp.kind).search(
                    code_only
                ):
                    continue
                example = Example(name, line, _dedent(lines), lang or default_language)
                found.setdefault(comp.id, []).append(example)
        break
    return found


MAX_DOC_EXAMPLE_LINES = 30
# Tree-sitter languages whose doc converter (doctext) turns the doc comment's example
# markup into ``` fences: `@example`, rustdoc fences, `<pre>`, `<code>`.
_FENCED_DOC_LANGUAGES = frozenset(
    {"javascript", "typescript", "tsx", "rust", "java", "kotlin", "csharp"}
)
_DOC_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\n`]*)$")
_DOCTEST = re.compile(r"^\s*>>>(?:\s|$)")
_RST_LITERAL = re.compile(r"(?:^\s*\.\. (?:code-block|code|sourcecode)::.*|::)\s*$")
# A source line of a doc comment, its comment marker off.
_DOC_MARKER = re.compile(r"^\s*(?:///?!?|/\*\*?!?|\*(?!/))?\s?")
# Where an example block opens in the source: a fence, a tag, an HTML block.
_BLOCK_OPENER = re.compile(r"`{3,}|~{3,}|@example\b|<pre\b|<code\b|<example\b", re.I)
_HIDDEN_RUST = re.compile(r"^#(?:\s|$)")


def _fenced_blocks(doc: str) -> list[tuple[str, str]]:
    """(fence language, code) of each complete ``` block of a converted doc text."""
    lines = doc.split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        match = _DOC_FENCE_OPEN.match(lines[i])
        if match is None:
            i += 1
            continue
        marker = match.group(1)
        closing = re.compile(rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        if j == len(lines):
            break  # a doc clipped inside its block: no half example
        info = match.group(2).split()
        blocks.append((info[0].lower() if info else "", _dedent(lines[i + 1 : j])))
        i = j + 1
    return blocks


def _python_blocks(doc: str, comp: Component) -> list[tuple[str, str]]:
    """Doctest sessions and literal blocks that call `comp`, in docstring order."""
    lines = doc.split("\n")
    mention = _Mention(comp.name, comp.kind)
    blocks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _RST_LITERAL.search(line) and not _DOCTEST.match(line):
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith(":")):
                j += 1  # the blank line and `.. code-block::` options
            k = j
            while k < len(lines) and (
                not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent
            ):
                k += 1
            if k > j:
                code = _dedent(lines[j:k])
                if _DOCTEST.match(code) or mention.search(code):
                    blocks.append(("python", code))
                i = k
                continue
        if _DOCTEST.match(line):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1  # the session with its output, up to a blank line
            blocks.append(("python", _dedent(lines[i:j])))
            i = j
            continue
        i += 1
    return blocks


def _doc_comment_region(lines: list[str], comp: Component) -> tuple[int, int]:
    """0-based [first, end) lines holding the component's doc comment: a Python docstring
    is inside the definition, other languages' doc comments (and attributes) sit above."""
    if comp.file.endswith((".py", ".pyi")):
        return comp.start_line - 1, min(comp.end_line, len(lines))
    end = min(comp.start_line - 1, len(lines))
    i = end - 1
    gap = 0
    while i >= 0:
        stripped = lines[i].strip()
        if not stripped:
            gap += 1
            if gap > 1:
                break
        elif stripped.startswith(("//", "/*", "*", "#[", "@", "[")):
            gap = 0
        else:
            break
        i -= 1
    return i + 1, end


def _opener(lines: list[str], first: int, found: int) -> tuple[int, str] | None:
    """The line the example block starts on (the fence, `@example` or `<pre>` line at or
    above its first code line, skipping rustdoc's hidden lines) and the opening markup.
    None when nothing opens it: an indented paragraph the converter fenced is no example."""
    best = None
    markup = ""
    i = found
    while i >= first and found - i <= 8:
        text = _DOC_MARKER.sub("", lines[i], count=1).strip()
        opened = _BLOCK_OPENER.search(text)
        if opened:
            best = i
            markup += opened.group(0).lower()
        elif i < found and text and not _HIDDEN_RUST.match(text):
            break
        i -= 1
    return (best, markup) if best is not None else None


def _doc_examples(comp: Component, language: str, sources: _Sources) -> list[Example]:
    """The examples written in `comp`'s doc comment, each at the source line it starts on.

    The blocks come from the doc text the parser kept; the source is only searched for
    where each block is, and only when the doc holds one.
    """
    doc = comp.doc
    if language == "python":
        if ">>>" not in doc and "::" not in doc:
            return []
        blocks = _python_blocks(doc, comp)
    elif language in _FENCED_DOC_LANGUAGES:
        if "```" not in doc and "~~~" not in doc:
            return []
        blocks = [
            (lang or language, code)
            for lang, code in _fenced_blocks(doc)
            if lang not in _NOT_CODE and code.strip()
        ]
    else:
        return []
    blocks = [b for b in blocks if b[1].count("\n") < MAX_DOC_EXAMPLE_LINES]
    if not blocks:
        return []
    lines = sources.lines(comp.file)
    if lines is None:
        return []
    first, end = _doc_comment_region(lines, comp)
    found: list[Example] = []
    position = first
    for fence_language, code in blocks:
        key = next(ln.strip() for ln in code.split("\n") if ln.strip())
        keys = {key, html.escape(key, quote=False)}
        at = next(
            (i for i in range(position, end) if any(k in lines[i] for k in keys)),
            None,
        )
        if at is None:
            continue  # not found as written (markup rewrote it): no line to cite
        position = at + 1
        start = at
        if language != "python":
            opener = _opener(lines, first, at)
            if opener is None:
                continue
            start, markup = opener
            # A JSDoc/TSDoc fence outside `@example` may be data or output: it counts when
            # it names the component.
            if language in JS_FAMILY and "@example" not in markup and not _names(code, comp.name):
                continue
        found.append(Example(comp.file, start + 1, code, _fence_language(fence_language), True))
        if len(found) >= MAX_EXAMPLES:
            break
    return found


def mine_examples(
    graph: Graph,
    files: dict[str, FileInfo],
    read: Callable[[str], str | None],
    wanted: set[str],
) -> dict[str, list[Example]]:
    """Up to MAX_EXAMPLES examples for each component id in `wanted`."""
    components = graph.components
    sources = _Sources(read)
    order = sorted(wanted)
    by_qualname: dict[str, list[Component]] = {}
    public_top: dict[str, list[Component]] = {}
    for cid in order:
        comp = components[cid]
        by_qualname.setdefault(comp.qualname, []).append(comp)
        if comp.parent is None:
            public_top.setdefault(comp.name, []).append(comp)
    # What test and example code uses: everything else needs no look at its users.
    used_by_samples = {
        ref
        for comp in components.values()
        if comp.role in (FileRole.TEST, FileRole.EXAMPLE)
        for ref in comp.refs
    }
    languages = sorted(
        (info.language for info in files.values() if info.role == FileRole.PRODUCTION),
    )
    main_language = max(set(languages), key=languages.count) if languages else ""

    results: dict[str, list[Example]] = {}
    documented: dict[str, list[Example]] = {}
    for cid in order:
        comp = components[cid]
        info = files.get(comp.file)
        if comp.doc and info is not None:
            own = _doc_examples(comp, info.language, sources)
            if own:
                documented[cid] = own
    go = _go_examples(files, sources, by_qualname) if "go" in languages else {}
    readme = _readme_examples(read, public_top, _fence_language(main_language))
    role_rank = {FileRole.EXAMPLE: 0, FileRole.TEST: 1}
    receiver_calls = _receiver_calls(files, sources)
    export_calls = _default_export_calls(files, sources) if JS_FAMILY & set(languages) else {}
    for cid in order:
        comp = components[cid]
        if (
            cid not in used_by_samples
            and comp.name not in receiver_calls
            and cid not in go
            and cid not in export_calls
        ):
            shown = documented.get(cid, []) + readme.get(cid, [])[:1]
            if shown:
                results[cid] = _distinct(shown)
            continue  # the common case: nothing calls it from tests or examples
        picked: list[Example] = list(documented.get(cid, []))
        picked += sorted(go.get(cid, []), key=lambda e: (len(e.code), e.path, e.line))
        picked += readme.get(cid, [])[:1]
        if len(picked) < MAX_EXAMPLES:
            candidates: list[tuple[int, int, str, int, Example]] = []
            seen_users: set[str] = set()
            for uid in graph.used_by.get(cid, ()):
                user = components[uid]
                rank = role_rank.get(user.role)  # type: ignore[call-overload]
                if rank is None or uid in seen_users or user.is_class_like:
                    continue  # a type's body declares; functions show calls
                if _is_go_example(user):
                    continue  # shown above as Go's own example
                seen_users.add(uid)
                lines = sources.lines(user.file)
                info = files.get(user.file)
                if lines is None or info is None:
                    continue
                example = _call_site(comp, user, lines, _fence_language(info.language))
                if example is not None:
                    code_lines = _clarity(example.code)
                    candidates.append((rank, code_lines, example.path, example.line, example))
            hits = receiver_calls.get(comp.name) if comp.kind in ("function", "method") else None
            if hits:
                receivers = _receivers(comp, components)
                if receivers:
                    candidates += _receiver_example(comp, hits, files, sources, receivers)
            if cid in export_calls:
                hits = export_calls[cid]
                candidates += _receiver_example(comp, hits, files, sources, {""})
            candidates.sort(key=lambda c: c[:4])
            files_used = {e.path for e in picked}
            codes = {e.code for e in picked}
            for *_key, example in candidates:
                if len(picked) >= MAX_EXAMPLES:
                    break
                if example.code in codes:
                    continue  # the same line again teaches nothing new
                if example.path in files_used and len(candidates) > MAX_EXAMPLES:
                    continue  # different files show different uses
                codes.add(example.code)
                files_used.add(example.path)
                picked.append(example)
        if picked:
            results[cid] = _distinct(picked)
    return results


def _distinct(examples: list[Example]) -> list[Example]:
    """The first MAX_EXAMPLES examples, each place and each code shown once (a README block
    that repeats the docstring's example is the same example)."""
    places: set[tuple[str, int]] = set()
    codes: set[str] = set()
    out = []
    for example in examples:
        code = "\n".join(ln.strip() for ln in example.code.split("\n") if ln.strip())
        if (example.path, example.line) in places or code in codes:
            continue
        places.add((example.path, example.line))
        codes.add(code)
        out.append(example)
    return out[:MAX_EXAMPLES]


def blob_prefix(repo_url: str, commit: str) -> str:
    """Where the repository browser shows files of ``commit``: every source link starts
    with it (the page cache swaps it for the next commit's), "" when the URL is unknown."""
    return f"{repo_url}/blob/{commit or 'HEAD'}/" if repo_url else ""


def source_link(repo_url: str, commit: str, path: str, line: int) -> str:
    """`path:line`, linked to the repository browser when the repository's URL is known."""
    text = code_span(f"{path}:{line}")
    if not repo_url:
        return text
    return f"[{text}]({blob_prefix(repo_url, commit)}{quote(path)}#L{line})"


def render_examples(examples: list[Example], repo_url: str, commit: str) -> list[str]:
    """The Markdown lines of a component's examples (repository code stays in fences)."""
    if not examples:
        return []
    out = ["**Examples**" if len(examples) > 1 else "**Example**", ""]
    for example in examples:
        # A fence never says `mermaid`: repository code is shown, not drawn.
        language = "text" if example.language == "mermaid" else example.language
        where = source_link(repo_url, commit, example.path, example.line)
        out += [
            f"From the doc comment at {where}:" if example.from_doc else f"From {where}:",
            "",
            code_fence(example.code, language),
            "",
        ]
    return out
