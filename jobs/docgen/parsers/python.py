"""Python analysis with the stdlib `ast` module (one parse, one partial walk per file)."""

from __future__ import annotations

import ast
import inspect
import re
from itertools import accumulate
from sys import intern

from ..doctext import clean_doc
from ..model import Component, FileInfo, Member, Reexport
from .common import MAX_SIGNATURE, ComponentSink, clip_doc, count_lines, one_line

_FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
MAX_DECORATORS = 4
MAX_DECORATOR = 100
_ENUM_BASES = frozenset(
    {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "TextChoices", "IntegerChoices"}
)
_OVERLOAD = frozenset({"overload", "typing.overload", "t.overload", "typing_extensions.overload"})
MAX_MEMBER_TYPE = 80
_TYPE_FACTORIES = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType", "TypeAliasType"})
_COMMENT = re.compile(r"\s+#[^'\"]*$")
# Identifiers, skipping comments and string literals (those matches yield ""): a word in
# `# Command not found` or in "use the Command class" is no reference to `Command`.
# Identifiers come first (the common case, and the cheapest order for the regex engine): a
# string prefix (`f`, `rb`) is matched as a word of its own, then the string is skipped.
# f-strings are skipped too; the names inside their braces are rare enough to lose.
_IDENT = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)"
    r"|#[^\n]*"
    r"|\"\"\"[\s\S]*?\"\"\"|'\'\'[\s\S]*?'\'\'"
    r"|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
)
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
        self.is_package_init = parts[-1] in ("__init__.py", "__init__.pyi")
        # Module-level `from x import y`: local name -> (source as written, original, line,
        # target); the candidates for re-exports once `__all__` is known.
        self.from_imports: dict[str, tuple[str, str, int, str]] = {}
        self.all_names: list[str] | None = None
        self.variables: list[tuple[bool, str, ast.Assign | ast.AnnAssign, ast.stmt | None]] = []
        self.variable_names: set[str] = set()

    def visit_module(self, tree: ast.Module) -> None:
        doc = _docstring(tree.body)
        if doc:
            # A licence banner or `:copyright:` field is no purpose.
            self.info.module_doc = clip_doc(clean_doc(doc))
        self._statements(tree.body)
        self._reexports()
        self._variables()
        self.sink.finish(merge_all=False)

    def _module_variable(
        self, stmt: ast.Assign | ast.AnnAssign, following: ast.stmt | None
    ) -> None:
        """A public module-level constant (`MAX_SIZE = 10`) or annotated variable; other
        names are kept only if `__all__` lists them (decided in `_variables`)."""
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else stmt.targets[0]
        if len(getattr(stmt, "targets", ())) > 1 or not isinstance(target, ast.Name):
            return
        name = target.id
        if name.startswith("_") or name in self.variable_names:
            return
        value = stmt.value
        if isinstance(value, ast.Call) and _dotted_tail(value.func) in _TYPE_FACTORIES:
            return  # `T = TypeVar("T")`: typing machinery, not a value users read
        strong = isinstance(stmt, ast.AnnAssign) or (name.isupper() and len(name) > 1)
        self.variable_names.add(name)
        # Described later, and only if kept: most module-level names are neither.
        self.variables.append((strong, name, stmt, following))

    def _variables(self) -> None:
        listed = set(self.all_names or ())
        out = self.info.variables
        for strong, name, stmt, following in self.variables:
            if not strong and name not in listed:
                continue
            annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
            shown = self._segment(annotation)
            default = self._segment(stmt.value)
            if default:
                shown = f"{shown} = {default}" if shown else f"= {default}"
            out.append(
                Member(
                    name,
                    "constant" if name.isupper() else "variable",
                    one_line(shown, MAX_MEMBER_TYPE) if shown else "",
                    self._attribute_doc(stmt, following),
                    stmt.lineno,
                )
            )

    def _reexports(self) -> None:
        """Names this module makes public that are defined elsewhere.

        With `__all__`, exactly the imported names it lists; without it, a package's
        `__init__` re-exports every public name it imports with `from x import y`.
        """
        if self.all_names is not None:
            names = [n for n in self.all_names if n in self.from_imports]
        elif self.is_package_init:
            names = [n for n in self.from_imports if not n.startswith("_")]
        else:
            return
        for name in dict.fromkeys(names):
            source, original, line, target = self.from_imports[name]
            self.info.reexports.append(
                Reexport(name, source, original if original != name else "", line, target)
            )

    def _module_assign(self, stmt: ast.Assign | ast.AugAssign | ast.AnnAssign) -> None:
        """Record `__all__ = [...]` (and `__all__ += [...]`)."""
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        if not isinstance(target, ast.Name) or target.id != "__all__":
            return
        value = stmt.value
        if not isinstance(value, ast.List | ast.Tuple):
            return
        names = [
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if isinstance(stmt, ast.AugAssign) and self.all_names is not None:
            self.all_names.extend(names)
        else:
            self.all_names = names

    def _statements(self, body: list[ast.stmt]) -> None:
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, None)
            elif isinstance(stmt, _FUNC_TYPES):
                self._function(stmt, None)
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                self._import(stmt)
            elif isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
                if stmt.value is not None:
                    self._module_assign(stmt)
                if not isinstance(stmt, ast.AugAssign):
                    following = body[i + 1] if i + 1 < len(body) else None
                    self._module_variable(stmt, following)
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
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, comp)
            elif isinstance(stmt, _FUNC_TYPES):
                self._function(stmt, comp)
            elif i == 0 and _is_docstring(stmt):
                continue
            else:
                if isinstance(stmt, ast.AnnAssign | ast.Assign):
                    self._class_member(comp, stmt, body[i + 1] if i + 1 < len(body) else None)
                self._names_in(stmt.lineno, stmt.end_lineno or stmt.lineno, names)
        names.discard(node.name)

    def _class_member(
        self,
        comp: Component,
        stmt: ast.AnnAssign | ast.Assign,
        following: ast.stmt | None,
        *,
        on_self: bool = False,
    ) -> None:
        """A field (`name: int = 0`), class attribute or enum member declared in a class body,
        or (`on_self`) an attribute set on `self` in `__init__`."""
        if isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        elif len(stmt.targets) == 1:
            targets = [stmt.targets[0]]
            if isinstance(targets[0], ast.Tuple):  # `RED, GREEN = range(2)`
                targets = list(targets[0].elts)
        else:
            return
        for target in targets:
            if on_self:
                if not (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    continue
                name = target.attr
            elif isinstance(target, ast.Name):
                name = target.id
            else:
                continue
            if name.startswith("_"):
                continue
            known = next((m for m in comp.members if m.name == name), None)
            if known is not None:
                # `headers: Dict` in the class body, documented where `__init__` sets it.
                if not known.doc:
                    known.doc = self._attribute_doc(stmt, following)
                continue
            annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
            value = stmt.value
            if comp.kind == "enum" and annotation is None and not on_self:
                kind, shown = "variant", self._segment(value)
            else:
                kind = "attribute" if on_self or annotation is None else "field"
                shown = self._segment(annotation)
                if value is not None and not on_self and len(targets) == 1:
                    default = self._segment(value)
                    if default:
                        shown = f"{shown} = {default}" if shown else f"= {default}"
            comp.members.append(
                Member(
                    name,
                    kind,
                    one_line(shown, MAX_MEMBER_TYPE) if shown else "",
                    self._attribute_doc(stmt, following),
                    stmt.lineno,
                )
            )

    def _segment(self, node: ast.expr | None) -> str:
        """Source text of a one-line expression (empty for anything longer)."""
        if node is None or node.lineno != node.end_lineno or node.lineno > len(self.lines):
            return ""
        line = self.lines[node.lineno - 1]
        end = node.end_col_offset or 0
        if line.isascii():
            return line[node.col_offset : end]
        data = line.encode("utf-8", "replace")
        return data[node.col_offset : end].decode("utf-8", "replace")

    def _attribute_doc(self, stmt: ast.stmt, following: ast.stmt | None) -> str:
        """A string right after the assignment, or `#:` comment lines right above it (the
        two attribute-doc conventions Sphinx reads)."""
        if following is not None and _is_docstring(following):
            text = following.value.value  # type: ignore[attr-defined]
            return clip_doc(inspect.cleandoc(text))
        lines = self.lines
        row = stmt.lineno - 2
        found: list[str] = []
        while row >= 0 and len(found) < 20:
            text = lines[row].strip()
            if not text.startswith("#:"):
                break
            found.append(text[2:].strip())
            row -= 1
        if found:
            return clip_doc("\n".join(reversed(found)))
        line = lines[stmt.lineno - 1] if stmt.lineno <= len(lines) else ""
        if stmt.lineno == stmt.end_lineno and "#:" in line:
            return line.split("#:", 1)[1].strip()
        return ""

    def _init_attributes(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, owner: Component
    ) -> None:
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign | ast.Assign):
                following = body[i + 1] if i + 1 < len(body) else None
                self._class_member(owner, stmt, following, on_self=True)

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
        for dec in node.decorator_list:
            if isinstance(dec, ast.Name | ast.Attribute):
                text = self._segment(dec)
                if text in _OVERLOAD:
                    self.sink.stubs.add(comp.id)
                elif text in (f"{node.name}.setter", f"{node.name}.deleter"):
                    self.sink.accessors[comp.id] = text.rsplit(".", 1)[1]
        if parent is not None and node.name == "__init__" and parent.is_class_like:
            self._init_attributes(node, parent)
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
        # Keywords and other noise words are dropped once, in the graph stage.
        comp.names.discard(node.name)
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
            names.discard("")

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
        source = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                info.imports.append(base)
                continue
            target = f"{base}/{alias.name}"
            info.imports.append(target)
            local = alias.asname or alias.name
            info.imported_names[local] = target
            self.from_imports.setdefault(local, (source, alias.name, node.lineno, target))

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
