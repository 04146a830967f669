"""Python analysis with the stdlib `ast` module (one parse, one partial walk per file)."""

from __future__ import annotations

import ast
import re

from ..model import Component, FileInfo
from .common import ComponentSink, clip_doc, count_lines, one_line

_FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMMENT = re.compile(r"\s+#[^'\"]*$")


def parse_python(rel: str, text: str) -> FileInfo:
    info = FileInfo(path=rel, language="python", lines=count_lines(text))
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        info.note = f"syntax error at line {exc.lineno or '?'}: {exc.msg}"
        return info
    except (ValueError, RecursionError, MemoryError) as exc:
        info.note = f"could not be parsed ({type(exc).__name__})"
        return info
    _PythonVisitor(info, text.splitlines()).visit_module(tree)
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
    def __init__(self, info: FileInfo, lines: list[str]) -> None:
        self.info = info
        self.lines = lines
        self.sink = ComponentSink(info)
        parts = info.path.split("/")
        # The package a relative import starts from ("from . import x").
        self.package_parts = parts[:-1]

    def visit_module(self, tree: ast.Module) -> None:
        doc = ast.get_docstring(tree)
        if doc:
            self.info.module_doc = clip_doc(doc)
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

    def _header(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        lines = self.lines
        start = node.lineno - 1
        first = node.body[0]
        stop = min(first.lineno - 1, start + 30)
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
            doc=ast.get_docstring(node) or "",
            parent=parent,
        )
        for base in node.bases:
            name = _dotted_tail(base)
            if name:
                comp.bases.append(name)
        names = comp.names
        pending: list[ast.AST] = list(node.decorator_list)
        pending.extend(kw.value for kw in node.keywords)
        for stmt in node.body:
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, comp)
            elif isinstance(stmt, _FUNC_TYPES):
                self._function(stmt, comp)
            else:
                pending.append(stmt)
        self._collect_names(pending, names)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Component | None) -> None:
        qual = f"{parent.qualname}.{node.name}" if parent else node.name
        comp = self.sink.add(
            node.name,
            qual,
            "method" if parent and parent.kind == "class" else "function",
            node.lineno,
            node.end_lineno or node.lineno,
            signature=self._header(node),
            doc=ast.get_docstring(node) or "",
            parent=parent,
        )
        pending: list[ast.AST] = list(node.decorator_list)
        pending.append(node.args)
        if node.returns is not None:
            pending.append(node.returns)
        pending.extend(node.body)
        self._collect_names(pending, comp.names)

    def _collect_names(self, nodes: list[ast.AST], names: set[str]) -> None:
        """Identifiers used below `nodes`, plus any imports found on the way (lazy imports)."""
        stack = nodes
        iter_children = ast.iter_child_nodes
        name_t, attr_t, const_t = ast.Name, ast.Attribute, ast.Constant
        while stack:
            node = stack.pop()
            t = type(node)
            if t is name_t:
                names.add(node.id)  # type: ignore[attr-defined]
                continue
            if t is const_t:
                continue
            if t is attr_t:
                names.add(node.attr)  # type: ignore[attr-defined]
            elif t is ast.Import or t is ast.ImportFrom:
                self._import(node)  # type: ignore[arg-type]
                continue
            stack.extend(iter_children(node))

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        info = self.info
        if isinstance(node, ast.Import):
            for alias in node.names:
                info.imports.append(alias.name.replace(".", "/"))
            return
        if node.level:
            keep = len(self.package_parts) - (node.level - 1)
            if keep < 0:
                return
            base = "/" + "/".join(self.package_parts[:keep])
            if node.module:
                base = f"{base}/{node.module.replace('.', '/')}" if keep else f"/{node.module.replace('.', '/')}"
        elif node.module:
            base = node.module.replace(".", "/")
        else:
            return
        base = base.replace("//", "/")
        for alias in node.names:
            if alias.name == "*":
                info.imports.append(base)
                continue
            target = f"{base}/{alias.name}"
            info.imports.append(target)
            info.imported_names[alias.asname or alias.name] = target
