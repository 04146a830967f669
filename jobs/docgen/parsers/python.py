"""Python analysis with the stdlib `ast` module (one parse, one partial walk per file)."""

from __future__ import annotations

import ast
import inspect
import re
from itertools import accumulate
from sys import intern

from ..doctext import clean_doc
from ..model import Component, FileInfo
from .common import MAX_SIGNATURE, NOISE_WORDS, ComponentSink, clip_doc, count_lines, one_line

_FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
MAX_DECORATORS = 4
MAX_DECORATOR = 100
_ENUM_BASES = frozenset(
    {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "TextChoices", "IntegerChoices"}
)
_COMMENT = re.compile(r"\s+#[^'\"]*$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Imports inside functions and classes (lazy imports) - found by regex instead of a full walk.
_NESTED_IMPORT = re.compile(
    r"^[ \t]+(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)"
    r"|import[ \t]+([^\n#;(]+))",
    re.MULTILINE,
)


def parse_python(rel: str, text: str) -> FileInfo:
    info = FileInfo(path=rel, language="python", lines=count_lines(text))
    if "\r" in text:
        # ast counts \r and \r\n as line breaks; normalising keeps our line slicing in step.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        info.note = f"syntax error at line {exc.lineno or '?'}: {exc.msg}"
        return info
    except (ValueError, RecursionError, MemoryError) as exc:
        info.note = f"could not be parsed ({type(exc).__name__})"
        return info
    visitor = _PythonVisitor(info, text)
    visitor.visit_module(tree)
    return info


def _dotted_tail(node: ast.expr) -> str | None:
    """The last name of `a.b.C`, `C` or `C[T]` - what a base class or decorator refers to."""
    while isinstance(node, ast.Subscript | ast.Call):
        node = node.value if isinstance(node, ast.Subscript) else node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _slice_to(line: str, col: int) -> str:
    # ast column offsets count UTF-8 bytes, not characters.
    if line.isascii():
        return line[:col]
    return line.encode("utf-8", "replace")[:col].decode("utf-8", "replace")


def _docstring(body: list[ast.stmt]) -> str:
    """Like ast.get_docstring, but skipping inspect.cleandoc for one-line docstrings."""
    if not body or not _is_docstring(body[0]):
        return ""
    text: str = body[0].value.value  # type: ignore[attr-defined]
    return inspect.cleandoc(text) if "\n" in text else text.strip()


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


class _PythonVisitor:
    def __init__(self, info: FileInfo, text: str) -> None:
        self.info = info
        self.text = text
        self.lines = text.split("\n")
        # Line i (0-based) starts at lengths[i] + i: the cumulative length plus newlines.
        self.lengths = [0, *accumulate(map(len, self.lines))]
        self.sink = ComponentSink(info)
        parts = info.path.split("/")
        # The package a relative import starts from ("from . import x").
        self.package_parts = parts[:-1]

    def visit_module(self, tree: ast.Module) -> None:
        doc = _docstring(tree.body)
        if doc:
            # A licence banner or `:copyright:` field is no purpose.
            self.info.module_doc = clip_doc(clean_doc(doc))
        self._statements(tree.body)

    def _statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, None)
            elif isinstance(stmt, _FUNC_TYPES):
                self._function(stmt, None)
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt)
            elif isinstance(stmt, ast.If):
                if _is_main_guard(stmt):
                    self.info.has_main_guard = True
                self._statements(stmt.body)
                self._statements(stmt.orelse)
            elif isinstance(stmt, ast.Try | ast.TryStar):
                self._statements(stmt.body)
                for handler in stmt.handlers:
                    self._statements(handler.body)
                self._statements(stmt.orelse)
                self._statements(stmt.finalbody)
            elif isinstance(stmt, ast.With):
                self._statements(stmt.body)

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """The decorator lines that fit on one line each (others are left out)."""
        lines = self.lines
        out = []
        for dec in node.decorator_list[:MAX_DECORATORS]:
            if dec.lineno != dec.end_lineno or dec.lineno > len(lines):
                continue
            text = lines[dec.lineno - 1].strip()
            if text.startswith("@") and len(text) <= MAX_DECORATOR and "#" not in text:
                out.append(text)
        return "\n".join(out)

    def _header(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        lines = self.lines
        start = node.lineno - 1
        first = node.body[0]
        stop = min(first.lineno - 1, start + 30)
        if stop == start + 1:
            # The common case: the whole header on one line, body below it.
            line = lines[start]
            if "#" not in line:
                text = line.strip()
                if "  " in text or "\t" in text or len(text) > MAX_SIGNATURE:
                    text = one_line(text)
                return text[:-1].rstrip() if text.endswith(":") else text
        if stop <= start:
            text = _slice_to(lines[start], first.col_offset) if start < len(lines) else ""
        else:
            chunk = []
            for line in lines[start:stop]:
                if "#" in line:
                    line = _COMMENT.sub("", line)
                chunk.append(line)
            if first.lineno - 1 == stop and stop < len(lines):
                chunk.append(_slice_to(lines[stop], first.col_offset))
            text = " ".join(chunk)
        text = one_line(text)
        return text[:-1].rstrip() if text.endswith(":") else text

    def _class(self, node: ast.ClassDef, parent: Component | None) -> None:
        qual = f"{parent.qualname}.{node.name}" if parent else node.name
        comp = self.sink.add(
            node.name,
            qual,
            "class",
            node.lineno,
            node.end_lineno or node.lineno,
            signature=self._header(node),
            doc=_docstring(node.body),
            parent=parent,
        )
        for base in node.bases:
            name = _dotted_tail(base)
            if name:
                comp.bases.append(name)
                # Python spells enums and interfaces as classes; name them as the other
                # languages do so the pages read the same.
                if name in _ENUM_BASES:
                    comp.kind = "enum"
                elif name == "Protocol":
                    comp.kind = "interface"
        names = comp.names
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        self._names_in(first, node.body[0].lineno - 1, names)
        for i, stmt in enumerate(node.body):
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, comp)
            elif isinstance(stmt, _FUNC_TYPES):
                self._function(stmt, comp)
            elif i == 0 and _is_docstring(stmt):
                continue
            else:
                self._names_in(stmt.lineno, stmt.end_lineno or stmt.lineno, names)
        names.discard(node.name)
        names -= NOISE_WORDS

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Component | None
    ) -> None:
        qual = f"{parent.qualname}.{node.name}" if parent else node.name
        signature = self._header(node)
        if node.decorator_list:
            # `@property`, `@classmethod`, `@receiver(...)`: part of what the reader must know.
            shown = self._decorators(node)
            if shown:
                signature = f"{shown}\n{signature}"
        comp = self.sink.add(
            node.name,
            qual,
            "method" if parent is not None else "function",
            node.lineno,
            node.end_lineno or node.lineno,
            signature=signature,
            doc=_docstring(node.body),
            parent=parent,
        )
        # Identifiers by regex over the source lines (minus the docstring): a C-speed scan
        # instead of a Python-level walk over every expression node.
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        end = node.end_lineno or node.lineno
        body0 = node.body[0]
        if _is_docstring(body0):
            self._names_in(first, body0.lineno - 1, comp.names)
            self._names_in((body0.end_lineno or body0.lineno) + 1, end, comp.names)
        else:
            self._names_in(first, end, comp.names)
        comp.names.discard(node.name)
        comp.names -= NOISE_WORDS
        # A parameter shadows any component of the same name (`def connect(self, receiver)`
        # does not use the `receiver` decorator).
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                comp.names.discard(arg.arg)

    def _names_in(self, first: int, last: int, names: set[str]) -> None:
        """Add identifiers on 1-based lines first..last (inclusive)."""
        if last < first:
            return
        lengths = self.lengths
        last = min(last, len(lengths) - 1)
        if last >= first:
            start = lengths[first - 1] + first - 1
            end = lengths[last] + last
            found = _IDENT.findall(self.text, start, end)
            if "import" in found:
                # A lazy import inside a function or class body: find it in this span only.
                self._nested_imports(start, end)
            # Interned, so the thousands of sets held until resolution share their strings.
            names.update(map(intern, found))

    def _nested_imports(self, start: int, end: int) -> None:
        for match in _NESTED_IMPORT.finditer(self.text, start, end):
            dots, module, names, plain = match.groups()
            if plain is not None:
                for part in plain.split(","):
                    name = part.split(" as ", 1)[0].strip()
                    if name:
                        self.info.imports.append(name.replace(".", "/"))
                continue
            base = self._from_base(len(dots or ""), module or "")
            if base is None:
                continue
            for part in names.strip("() \t").replace("\n", " ").split(","):
                bits = part.split(" as ")
                name = bits[0].strip()
                if not name.isidentifier():
                    continue
                target = f"{base}/{name}"
                self.info.imports.append(target)
                local = bits[1].strip() if len(bits) > 1 else name
                self.info.imported_names.setdefault(local, target)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        info = self.info
        if isinstance(node, ast.Import):
            for alias in node.names:
                info.imports.append(alias.name.replace(".", "/"))
            return
        base = self._from_base(node.level, node.module or "")
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                info.imports.append(base)
                continue
            target = f"{base}/{alias.name}"
            info.imports.append(target)
            info.imported_names[alias.asname or alias.name] = target

    def _from_base(self, level: int, module: str) -> str | None:
        """Import target for `from <dots><module> import ...`; "/"-prefixed when repo-relative."""
        module_path = module.replace(".", "/")
        if not level:
            return module_path or None
        keep = len(self.package_parts) - (level - 1)
        if keep < 0:
            return None
        parts = self.package_parts[:keep]
        if module_path:
            parts = [*parts, module_path]
        return "/" + "/".join(parts)
