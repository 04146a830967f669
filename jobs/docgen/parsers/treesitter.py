"""Tree-sitter analysis for every non-Python language, driven by the table in ts_languages.

One generic walk visits declarations (it never descends into function bodies), so the cost is
one parse plus a walk over the file's outline. Identifiers used by each component are taken
with a regex over its own byte range, which is far cheaper than visiting every node in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from sys import intern
from typing import Any

from ..doctext import clean_doc, convert_doc, is_noise, strip_markers
from ..model import CLASS_KINDS, Component, FileInfo, Member, Reexport
from .common import ComponentSink, count_lines, noise_words, one_line
from .members import (
    HANDLERS,
    TOP_HANDLERS,
    ModuleScope,
    php_promoted_parameters,
    ts_parameter_properties,
)
from .ts_languages import SPECS, LanguageSpec, Node, node_text, repo_relative

_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# What a component's body refers to: identifiers outside comments and string literals (those
# matches yield b""), so `// see Command` or "Command failed" never make a dependency.
_WORD = rb"|([A-Za-z_][A-Za-z0-9_]*)"
_DQ = rb'"(?:[^"\\\n]|\\.)*"'
_SQ = rb"'(?:[^'\\\n]|\\.)*'"
_BLOCK = rb"/\*[\s\S]*?\*/"
_C_LIKE = rb"//[^\n]*|" + _BLOCK + rb"|" + _DQ
_REFERENCE_TOKENS = {
    "c": _C_LIKE + rb"|" + _SQ,
    "cpp": rb'R"\([\s\S]*?\)"|' + _C_LIKE + rb"|" + _SQ,
    "java": rb'"""[\s\S]*?"""|' + _C_LIKE + rb"|" + _SQ,
    "kotlin": rb'"""[\s\S]*?"""|' + _C_LIKE + rb"|" + _SQ,
    "csharp": rb'@"(?:[^"]|"")*"|' + _C_LIKE + rb"|" + _SQ,
    "go": _C_LIKE + rb"|`[^`]*`|" + _SQ,
    # Rust: no single-quoted alternative, `'a` is a lifetime and has no closing quote.
    "rust": rb'r#*"[\s\S]*?"#*|' + _C_LIKE,
    "javascript": _C_LIKE + rb"|" + _SQ + rb"|`(?:[^`\\]|\\.)*`",
    "php": rb"#(?!\[)[^\n]*|" + _C_LIKE + rb"|" + _SQ,
    "ruby": rb"#[^\n]*|" + _DQ + rb"|" + _SQ,
}
_REFERENCE_TOKENS["typescript"] = _REFERENCE_TOKENS["tsx"] = _REFERENCE_TOKENS["javascript"]
REFERENCES = {lang: re.compile(pattern + _WORD) for lang, pattern in _REFERENCE_TOKENS.items()}
_REQUIRE = re.compile(rb"""\brequire\(\s*['"]([^'"\n]{1,300})['"]\s*\)""")
_CPP_HINTS = re.compile(
    r"^[ \t]*(?:class\s+\w+[^;{]{0,300}\{|namespace\s+\w*\s*\{|template\s*<"
    r"|(?:public|private|protected):)",
    re.MULTILINE,
)
# Blank lines allowed between a doc comment and its declaration.
MAX_DOC_GAP = 3
# Comment nodes gathered into one doc comment (Rust and Go write one node per line).
MAX_DOC_NODES = 2000
_FILE_DOC_TAG = re.compile(r"@(?:file|fileoverview|overview|module|packageDocumentation)\b")

BODY_TYPES = frozenset(
    {
        "class_body",
        "interface_body",
        "enum_body",
        "enum_class_body",
        "function_body",
        "block",
        "declaration_list",
        "field_declaration_list",
        "compound_statement",
        "statement_block",
        "body_statement",
        "enum_variant_list",
        "enum_member_declaration_list",
        "enum_declaration_list",
    }
)
CALLABLE_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)


@cache
def _parser(language: str) -> Any:
    from tree_sitter import Language, Parser

    return Parser(Language(SPECS[language].loader()))


@cache
def _type_keyword_words(language: str) -> re.Pattern[bytes] | None:
    # Noise words never become references anyway: no need to look where they stand.
    words = sorted(SPECS[language].type_keywords - noise_words(language))
    return re.compile(rb"\b(?:" + "|".join(words).encode() + rb")\b") if words else None


def _without_type_keywords(root: Node, spec: LanguageSpec, language: str, source: bytes) -> bytes:
    """`source` with type keywords in type position blanked out (offsets unchanged), so the
    identifier pass never reads `x: boolean` as a use of a function named `boolean`."""
    pattern = _type_keyword_words(language)
    if pattern is None:
        return source
    nodes = spec.type_keyword_nodes
    blanked: bytearray | None = None
    # One lookup per occurrence of a keyword is cheaper than a query over the whole tree.
    for match in pattern.finditer(source):
        start, end = match.span()
        node = root.named_descendant_for_byte_range(start, end)
        if node is None or node.end_byte != end:
            continue  # inside a longer name (`$any`)
        kind = node.type
        parent = node.parent if kind == match.group().decode() else None
        if kind in nodes or (parent is not None and parent.type in nodes):
            if blanked is None:
                blanked = bytearray(source)
            blanked[start:end] = b" " * (end - start)
    return source if blanked is None else bytes(blanked)


def parse_with_treesitter(rel: str, language: str, text: str, data: bytes) -> FileInfo:
    info = FileInfo(path=rel, language=language, lines=count_lines(text))
    if language == "c" and rel.endswith(".h") and _CPP_HINTS.search(text):
        # ".h" is shared by C and C++; these constructs only parse as C++.
        language = info.language = "cpp"
    spec = SPECS.get(language)
    if spec is None:
        return info
    # Re-encode the replacement-decoded text so byte offsets always slice valid UTF-8.
    source = text.encode("utf-8")
    try:
        tree = _parser(language).parse(source)
    except Exception as exc:  # the bindings raise assorted errors on pathological input
        info.note = f"could not be parsed ({type(exc).__name__})"
        return info
    root = tree.root_node
    if root.has_error:
        info.note = "contains syntax errors; results are partial"
    _Walker(info, spec, language, source).run(root)
    return info


JS_FAMILY = frozenset({"javascript", "typescript", "tsx"})
# Doc tags by which JSDoc, TSDoc, Javadoc and others mark an item as not public API.
_PAREN_SPACE = re.compile(r"(\()\s+|\s+(?=\))")
_PRIVATE_TAG = re.compile(r"^[\s/*]*@(?:private|internal|hidden|hide|api\s+private)\b", re.M)


@dataclass(slots=True)
class JsModuleFacts:
    # Names that get members assigned at the top level (`app` in `app.use = …`).
    owners: set[str] = field(default_factory=set)
    # Local name -> (package, attribute) for `var x = require('pkg')[.attr]` and imports.
    required: dict[str, tuple[str, str]] = field(default_factory=dict)


def js_module_facts(root: Node) -> JsModuleFacts:
    """One pass over a file's top-level statements (never into bodies)."""
    facts = JsModuleFacts()
    for stmt in root.named_children:
        if stmt.type == "expression_statement" and stmt.named_child_count:
            expr = stmt.named_children[0]
            while expr is not None and expr.type == "assignment_expression":
                left = expr.child_by_field_name("left")
                if left is not None and left.type == "member_expression":
                    head = node_text(left).split(".", 1)[0].strip()
                    if head not in ("exports", "module", "this") and head.isidentifier():
                        facts.owners.add(head)
                expr = expr.child_by_field_name("right")
        elif stmt.type in ("variable_declaration", "lexical_declaration"):
            for decl in stmt.named_children:
                if decl.type != "variable_declarator":
                    continue
                name = node_text(decl.child_by_field_name("name"))
                value = decl.child_by_field_name("value")
                if not name.isidentifier() or value is None:
                    continue
                text = node_text(value).replace(" ", "")
                found = _REQUIRE.match(text.encode())
                if found is not None:
                    rest = text[found.end() :].lstrip(".")
                    attr = rest if rest.isidentifier() else ""
                    facts.required[name] = (found.group(1).decode("utf-8", "replace"), attr)
        elif stmt.type == "import_statement":
            source = _strip_key(node_text(stmt.child_by_field_name("source")))
            clause = next((c for c in stmt.named_children if c.type == "import_clause"), None)
            if clause is None or not source:
                continue
            for ident in _import_bindings(clause):
                facts.required[ident[0]] = (source, ident[1])
    return facts


def _import_bindings(clause: Node) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for child in clause.named_children:
        if child.type == "identifier":
            out.append((node_text(child), "default"))
        elif child.type == "namespace_import":
            idents = [c for c in child.named_children if c.type == "identifier"]
            if idents:
                out.append((node_text(idents[-1]), ""))
        elif child.type == "named_imports":
            for spec in child.named_children:
                if spec.type != "import_specifier":
                    continue
                name = node_text(spec.child_by_field_name("name"))
                alias = node_text(spec.child_by_field_name("alias")) or name
                out.append((alias, name))
    return out


def _rightmost(value: Node | None) -> Node | None:
    """The assigned value of `a = b = value`."""
    for _ in range(8):
        if value is None or value.type != "assignment_expression":
            break
        value = value.child_by_field_name("right")
    return value


def _has_methods(value: Node) -> bool:
    if value.type != "object":
        return False
    for child in value.named_children:
        if child.type == "method_definition":
            return True
        if child.type == "pair":
            inner = child.child_by_field_name("value")
            if inner is not None and inner.type in CALLABLE_VALUES:
                return True
    return False


def _strip_key(text: str) -> str:
    return text.strip().strip("'\"`")


def _file_stem(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    return stem if stem != "index" else (path.rsplit("/", 2)[-2] if "/" in path else stem)


def _go_receiver_type(receiver: Node | None) -> str:
    if receiver is None:
        return ""
    words = node_text(receiver).strip("() ").split()
    if not words:
        return ""
    return re.sub(r"[^A-Za-z0-9_].*$", "", words[-1].lstrip("*"))


def _declarator_name(node: Node) -> tuple[str, bool] | None:
    """Follow C/C++ declarator chains to the declared name; True if it declares a function."""
    is_function = False
    current = node.child_by_field_name("declarator")
    for _ in range(12):
        if current is None:
            return None
        if current.type == "function_declarator":
            is_function = True
        inner = current.child_by_field_name("declarator")
        if inner is None:
            if current.type in (
                "identifier",
                "field_identifier",
                "qualified_identifier",
                "destructor_name",
                "operator_name",
                "type_identifier",
            ):
                return node_text(current), is_function
            return None
        current = inner
    return None


class _Walker:
    def __init__(self, info: FileInfo, spec: LanguageSpec, language: str, source: bytes) -> None:
        self.info = info
        self.spec = spec
        self.language = language
        self.source = source
        self.sink = ComponentSink(info)
        # component id -> (start byte, end byte, child ranges) for the identifier pass.
        self.ranges: dict[str, tuple[int, int, list[tuple[int, int]]]] = {}
        self.by_name: dict[str, Component] = {}
        self.member_handlers = HANDLERS.get(language, {})
        self.top_handlers = TOP_HANDLERS.get(language, {})
        self.module_scope = ModuleScope(info.variables)
        # Top-level components by name: what `Foo.prototype.bar = …` attaches to.
        self.top_names: dict[str, Component] = {}
        self.is_js = language in JS_FAMILY
        # Set by _doc_comment: the comment marks its item as not public API.
        self.doc_says_private = False
        self.js = JsModuleFacts()

    def run(self, root: Node) -> None:
        self.info.module_doc = self._file_doc(root)
        if self.is_js:
            self.js = js_module_facts(root)
        self._visit(root, None, 0)
        words = REFERENCES.get(self.language, _IDENT)
        source = self.source
        if self.spec.type_keywords:
            source = _without_type_keywords(root, self.spec, self.language, source)
        noise = noise_words(self.language)
        for comp in self.info.components:
            start, end, children = self.ranges.pop(comp.id)
            names: set[bytes] = set()
            pos = start
            for child_start, child_end in sorted(children):
                if child_start >= end:
                    break  # a Go method or Rust impl attached to a type defined above it
                names.update(words.findall(source, pos, max(pos, child_start)))
                pos = max(pos, child_end)
            if pos < end:
                names.update(words.findall(source, pos, end))
            names.discard(b"")
            comp.names = {intern(n.decode("ascii")) for n in names} - noise
            comp.names.discard(comp.name)
        self.sink.finish(merge_all=True)
        if self.spec.regex_require:
            for match in _REQUIRE.finditer(self.source):
                target = match.group(1).decode("utf-8", "replace")
                self.info.imports.append(
                    repo_relative(self.info.path, target) if target.startswith(".") else target
                )

    def _visit(self, node: Node, parent: Component | None, depth: int) -> None:
        if depth > 60:
            return
        spec = self.spec
        for child in node.named_children:
            ctype = child.type
            if parent is not None and parent.kind in CLASS_KINDS:
                handler = self.member_handlers.get(ctype)
                if handler is not None and handler(self, child, parent):
                    continue
            elif parent is None:
                top = self.top_handlers.get(ctype)
                if top is not None and top(self, child, self.module_scope):
                    continue
            importer = spec.imports.get(ctype)
            if importer is not None:
                importer(child, self.info, self.info.path)
                if ctype not in spec.definitions and ctype != "export_statement":
                    continue
            kind = spec.definitions.get(ctype)
            if kind is not None:
                comp = self._component(child, ctype, kind, parent)
                if comp is not None:
                    if comp.kind not in ("function", "method"):
                        self._visit(child, comp, depth + 1)
                    continue
            if ctype in spec.comment_types:
                continue
            if ctype == "expression_statement" and parent is None and self.is_js:
                self._js_statement(child, depth)
                continue
            if ctype == "impl_item":
                self._rust_impl(child, depth)
                continue
            self._visit(child, parent, depth + 1)

    def _rust_impl(self, node: Node, depth: int) -> None:
        type_name = node_text(node.child_by_field_name("type")).split("<", 1)[0].strip()
        owner = self.by_name.get(type_name)
        trait = node.child_by_field_name("trait")
        if owner is not None and trait is not None:
            owner.bases.append(node_text(trait).split("<", 1)[0].strip())
        body = node.child_by_field_name("body")
        if body is None:
            return
        for child in body.named_children:
            if child.type in ("function_item", "function_signature_item"):
                self._component(child, child.type, "function", owner, qual_prefix=type_name)

    def _classify(self, node: Node, ctype: str) -> tuple[str | None, str | None]:
        """Name and kind for node types whose meaning depends on their content."""
        if ctype == "variable_declarator":
            value = node.child_by_field_name("value")
            name_node = node.child_by_field_name("name")
            if name_node is None or name_node.type != "identifier":
                return None, None  # a destructuring pattern is not a name
            value = _rightmost(value)
            if value is None:
                return None, None
            if value.type in CALLABLE_VALUES:
                return node_text(name_node), "function"
            name = node_text(name_node)
            if name in self.js.owners or _has_methods(value):
                # `var app = exports = module.exports = {}` later given `app.use = …`.
                return name, "object"
            return None, None
        if ctype == "type_alias":  # Go `type Reader = io.Reader`
            name = node_text(node.child_by_field_name("name"))
            target = node.child_by_field_name("type")
            if target is not None and target.type == "qualified_type":
                self._go_reexport(name, target, node)
                return None, None
            return name, "type"
        if ctype == "pair":
            value = node.child_by_field_name("value")
            if value is None or value.type not in CALLABLE_VALUES:
                return None, None
            return _strip_key(node_text(node.child_by_field_name("key"))), "function"
        if ctype == "type_spec":
            type_node = node.child_by_field_name("type")
            kind = {"struct_type": "struct", "interface_type": "interface"}.get(
                type_node.type if type_node is not None else "", "type"
            )
            return node_text(node.child_by_field_name("name")), kind
        if ctype in ("declaration", "field_declaration"):
            found = _declarator_name(node)
            if found is None or not found[1]:
                return None, None
            return found[0], "function"
        if ctype == "type_definition":
            inner = node.child_by_field_name("type")
            if inner is None or inner.child_by_field_name("body") is None:
                return None, None
            if inner.child_by_field_name("name") is not None:
                return None, None  # the named struct itself is the component
            found = _declarator_name(node)
            kind = inner.type.split("_", 1)[0]
            return (found[0] if found else None), kind
        if ctype == "class_declaration":  # Kotlin
            kind = "class"
            for child in node.children:
                if child.type == "interface":
                    kind = "interface"
                elif child.type == "modifiers" and b"enum" in child.text:
                    kind = "enum"
            return node_text(node.child_by_field_name("name")), kind
        return None, None

    def _component(
        self,
        node: Node,
        ctype: str,
        kind: str,
        parent: Component | None,
        qual_prefix: str = "",
    ) -> Component | None:
        if ctype == "pair" and parent is None:
            return None  # a callback in a call's options, not an API
        if kind == "?":
            name, resolved = self._classify(node, ctype)
            if not name or resolved is None:
                return None
            kind = resolved
        else:
            name_node = node.child_by_field_name("name")
            if name_node is None and ctype == "function_definition":
                found = _declarator_name(node)
                name = found[0] if found else ""
            else:
                name = node_text(name_node)
        if ctype in ("struct_specifier", "union_specifier", "enum_specifier") and (
            node.child_by_field_name("body") is None
        ):
            return None  # a mere use such as `struct node *n`
        if not name:
            return None
        name = name.strip()
        owner_qual = ""
        if "::" in name:  # C++ out-of-line definition: `void Widget::draw()`
            owner_qual, _, name = name.rpartition("::")
            owner_qual = owner_qual.replace("::", ".")
            parent = parent or self.by_name.get(owner_qual.rsplit(".", 1)[-1])
        elif ctype == "method_declaration" and self.language == "go":
            receiver = node.child_by_field_name("receiver")
            owner_qual = _go_receiver_type(receiver)
            parent = self.by_name.get(owner_qual) or parent
        if kind == "function" and (
            (parent is not None and parent.kind in CLASS_KINDS) or owner_qual or qual_prefix
        ):
            kind = "method"
        prefix = parent.qualname if parent is not None else (qual_prefix or owner_qual)
        if parent is not None and owner_qual and owner_qual != parent.qualname:
            prefix = owner_qual
        qualname = f"{prefix}.{name}" if prefix else name
        comp = self._emit(node, name, kind, parent, qualname, self._header_end(node))
        if ctype in ("type_spec", "type_alias") and self.language == "go":
            comp.signature = f"type {comp.signature}"  # the keyword sits on the parent node
        elif self.is_js and parent is None:
            comp.signature = self._export_prefix(node) + comp.signature
        return comp

    def _export_prefix(self, node: Node) -> str:
        """`export ` / `export default ` / `export const `: how users import the name."""
        holder = node.parent
        if holder is not None and holder.type in ("lexical_declaration", "variable_declaration"):
            holder = holder.parent
        if holder is None or holder.type != "export_statement":
            return ""
        text = self.source[holder.start_byte : node.start_byte].decode("utf-8", "replace")
        text = " ".join(text.split())
        return f"{text} " if text.startswith("export") and len(text) < 40 else ""

    def _emit(
        self,
        node: Node,
        name: str,
        kind: str,
        parent: Component | None,
        qualname: str,
        header_end: int,
        *,
        has_body: bool | None = None,
    ) -> Component:
        signature = one_line(self.source[node.start_byte : header_end].decode("utf-8", "replace"))
        signature = signature.rstrip("{:= ").rstrip()
        if kind in ("function", "method"):
            signature = signature.rstrip(";").rstrip()  # an overload or prototype
            if "( " in signature or " )" in signature:  # parameters one per line
                signature = _PAREN_SPACE.sub(r"\1", signature).replace(",)", ")")
        comp = self.sink.add(
            name,
            qualname,
            kind,
            node.start_point[0] + 1,
            node.end_point[0] + 1,
            signature=signature,
            doc=self._doc_comment(node),
            parent=parent,
        )
        if self.doc_says_private:
            comp.private = True
        if has_body is None:
            has_body = node.child_by_field_name("body") is not None
        if node.type == "method_definition" and any(c.type == "set" for c in node.children):
            self.sink.accessors[comp.id] = "setter"  # shown under its getter
        if kind in ("function", "method") and not has_body:
            self.sink.stubs.add(comp.id)  # an overload signature or a prototype
        self.ranges[comp.id] = (node.start_byte, node.end_byte, [])
        if parent is not None and parent.id in self.ranges:
            self.ranges[parent.id][2].append((node.start_byte, node.end_byte))
        if parent is None:
            self.top_names.setdefault(name, comp)
        elif self.is_js and name == "constructor" and parent.is_class_like:
            ts_parameter_properties(node, parent)
        elif name == "__construct" and self.language == "php" and parent.is_class_like:
            php_promoted_parameters(node, parent)
        if kind in CLASS_KINDS:
            self.by_name.setdefault(name, comp)
            header = self.source[node.start_byte : header_end]
            comp.bases.extend(
                ident.decode("ascii")
                for ident in _IDENT.findall(header)
                if ident.decode("ascii") != name
            )
        return comp

    def _go_reexport(self, name: str, target: Node, node: Node) -> None:
        """A Go alias of another package's type: that type under this package's name."""
        package = node_text(target.child_by_field_name("package"))
        original = node_text(target.child_by_field_name("name"))
        path = next(
            (i for i in self.info.imports if i == package or i.endswith("/" + package)), package
        )
        self.info.reexports.append(
            Reexport(
                name,
                path,
                original if original != name else "",
                node.start_point[0] + 1,
                f"{path}/{original}",
            )
        )

    # --- JavaScript members assigned rather than declared ------------------------------------

    def _js_statement(self, stmt: Node, depth: int) -> None:
        """`app.use = function use() {}`, `Foo.prototype.bar = …`, `exports.x = …`,
        `module.exports = {…}` and `defineGetter(req, 'ip', …)` at the top of a file."""
        expr = stmt.named_children[0] if stmt.named_child_count else None
        if expr is not None and expr.type == "call_expression" and self._js_define(stmt, expr):
            return
        if expr is None or expr.type != "assignment_expression":
            self._visit(stmt, None, depth + 1)
            return
        targets = []
        value = expr
        while value is not None and value.type == "assignment_expression":
            targets.append(node_text(value.child_by_field_name("left")).replace(" ", ""))
            value = value.child_by_field_name("right")
        if value is None:
            return
        for target in targets:
            if self._js_assign(stmt, target, value, depth):
                return
        self._visit(stmt, None, depth + 1)

    def _js_assign(self, stmt: Node, target: str, value: Node, depth: int) -> bool:
        parts = target.split(".")
        callable_value = value.type in CALLABLE_VALUES
        if target in ("module.exports", "exports"):
            if value.type == "object":
                comp = self._emit(
                    stmt, "module.exports", "object", None, "module.exports", value.start_byte
                )
                self._visit(value, comp, depth + 1)
                return True
            if callable_value:
                name = node_text(value.child_by_field_name("name")) or _file_stem(self.info.path)
                self._js_function(stmt, value, name, None)
                return True
            return self._js_reexport_all(value, stmt)
        if parts[0] == "module" and len(parts) > 1:
            parts = parts[1:]  # `module.exports.x` is `exports.x`
        if parts[0] == "exports" and len(parts) == 2:
            name = parts[1]
            if callable_value:
                self._js_function(stmt, value, name, None)
            elif not self._js_reexport(name, value, stmt) and not name.startswith("_"):
                self.info.variables.append(self._assigned_member(stmt, value, name, "variable"))
            return True
        if (len(parts) == 3 and parts[1] == "prototype") or len(parts) == 2:
            owner = self.top_names.get(parts[0])
            if owner is None or not all(p.isidentifier() or p.startswith("$") for p in parts):
                return False
            if parts[1] == "prototype" and owner.kind == "function":
                owner.kind = "class"  # a constructor function with methods on its prototype
            name = parts[-1]
            if callable_value:
                self._js_function(stmt, value, name, owner)
            elif (
                owner.is_class_like
                and not name.startswith("_")
                and not any(m.name == name for m in owner.members)
            ):
                owner.members.append(self._assigned_member(stmt, value, name, "property"))
            return True
        return False

    def _assigned_member(self, stmt: Node, value: Node, name: str, kind: str) -> Member:
        """`exports.x = …` / `Foo.prototype.x = …` with a value that is not a function."""
        shown = "{…}" if value.type == "object" else one_line(node_text(value), 40)
        return Member(name, kind, f"= {shown}", self._doc_comment(stmt), stmt.start_point[0] + 1)

    def _js_function(self, stmt: Node, value: Node, name: str, owner: Component | None) -> None:
        kind = "method" if owner is not None else "function"
        qualname = f"{owner.qualname}.{name}" if owner is not None else name
        body = value.child_by_field_name("body")
        end = body.start_byte if body is not None else self._header_end(stmt)
        self._emit(stmt, name, kind, owner, qualname, end, has_body=True)

    def _js_reexport(self, name: str, value: Node, stmt: Node) -> bool:
        """`exports.json = bodyParser.json` where `bodyParser = require('body-parser')`."""
        text = node_text(value).replace(" ", "")
        required = _REQUIRE.search(text.encode())
        if required is not None:
            source = required.group(1).decode("utf-8", "replace")
            rest = text[required.end() :].lstrip(".")
            original = rest if rest.isidentifier() else ""
        else:
            root, _, rest = text.partition(".")
            bound = self.js.required.get(root)
            if bound is None:
                return False
            source, attr = bound
            original = ".".join(p for p in (attr, rest) if p)
        target = repo_relative(self.info.path, source) if source.startswith(".") else source
        self.info.reexports.append(
            Reexport(
                name, source, original if original != name else "", stmt.start_point[0] + 1, target
            )
        )
        return True

    def _js_reexport_all(self, value: Node, stmt: Node) -> bool:
        """`module.exports = require('./lib/express')`: the file is another file's face."""
        text = node_text(value).replace(" ", "")
        required = _REQUIRE.match(text.encode())
        if required is None or required.end() != len(text.encode()):
            return False
        source = required.group(1).decode("utf-8", "replace")
        target = repo_relative(self.info.path, source) if source.startswith(".") else source
        self.info.reexports.append(Reexport("*", source, "", stmt.start_point[0] + 1, target))
        return True

    def _js_define(self, stmt: Node, call: Node) -> bool:
        """`Object.defineProperty(req, 'ip', …)` or `defineGetter(req, 'ip', …)`."""
        callee = node_text(call.child_by_field_name("function"))
        args = call.child_by_field_name("arguments")
        if "define" not in callee or args is None or args.named_child_count < 2:
            return False
        obj, key = args.named_children[0], args.named_children[1]
        owner = self.top_names.get(node_text(obj)) if obj.type == "identifier" else None
        if owner is None or key.type != "string" or not owner.is_class_like:
            return False
        name = _strip_key(node_text(key))
        if name and not name.startswith("_") and not any(m.name == name for m in owner.members):
            shown = "read-only" if "Getter" in callee or b"get" in args.text else ""
            owner.members.append(
                Member(name, "property", shown, self._doc_comment(stmt), stmt.start_point[0] + 1)
            )
        return True

    def doc_comment(self, node: Node) -> str:
        """The doc comment of a member declaration (see members.MemberContext)."""
        return self._doc_comment(node)

    def _file_doc(self, root: Node) -> str:
        """A file-level doc comment: Rust `//!`, Go's package comment, a JS `@file` block,
        Java's `package-info.java`. Licence banners and directives are never a purpose."""
        language = self.language
        comment_types = self.spec.comment_types
        children = root.named_children[:MAX_DOC_NODES]
        if language == "rust":
            lines: list[str] = []
            for child in children:
                if child.type in comment_types:
                    text = node_text(child).rstrip()
                    if text.startswith("//!"):
                        lines.append(text.replace("//!", "//", 1))
                    elif text.startswith("/*!"):
                        lines.append(text.replace("/*!", "/*", 1))
                    elif lines:
                        break
                elif child.type not in ("inner_attribute_item", "attribute_item"):
                    break
            return self._doc_text(lines)
        if language in ("go", "java", "kotlin"):
            anchor_types = ("package_clause", "package_declaration", "package_header")
            for i, child in enumerate(children):
                if child.type in anchor_types:
                    if language != "go" and not self.info.path.endswith("package-info.java"):
                        return ""
                    return self._doc_text(self._comment_run(children[:i], child))
                if child.type not in comment_types:
                    return ""
            return ""
        if language in ("javascript", "typescript", "tsx", "php", "c", "cpp"):
            for child in children[:12]:
                if child.type not in comment_types:
                    if child.type in ("php_tag", "text", "expression_statement"):
                        continue  # `<?php`, `'use strict'`
                    break
                text = node_text(child)
                if _FILE_DOC_TAG.search(text):
                    return self._doc_text([text])
        return ""

    def _comment_run(self, before: list[Node], anchor: Node) -> list[str]:
        """The comments right above `anchor` (blank lines allowed before it, not inside)."""
        texts: list[str] = []
        row = anchor.start_point[0]
        for prev in reversed(before):
            end_row = prev.end_point[0] - (1 if prev.end_point[1] == 0 else 0)
            if row - end_row - 1 > (MAX_DOC_GAP if not texts else 0):
                break
            text = node_text(prev).rstrip()
            row = prev.start_point[0]
            if is_noise(strip_markers(text)):
                if texts:
                    break  # a banner or directive above the doc: the doc ends here
                continue  # a directive between the doc and the declaration
            texts.append(text)
        texts.reverse()
        return texts

    def _doc_text(self, comments: list[str]) -> str:
        if not comments:
            return ""
        return convert_doc(clean_doc(strip_markers("\n".join(comments))), self.language)

    def _header_end(self, node: Node) -> int:
        body = node.child_by_field_name("body")
        end = body.start_byte if body is not None else None
        for child in node.children:
            if end is not None and child.start_byte >= end:
                break
            if child.type in BODY_TYPES or child.type in self.spec.comment_types:
                end = child.start_byte
                break
        if end is None:
            if self.spec.definitions.get(node.type) == "function":
                # A declaration without a body (an interface method, an `expect fun`, a
                # prototype): all of it is the signature, however many lines it spans.
                end = node.end_byte
            else:
                text_end = self.source.find(b"\n", node.start_byte, node.end_byte)
                end = node.end_byte if text_end == -1 else text_end
        return min(end, node.start_byte + 2000)

    def _doc_comment(self, node: Node) -> str:
        self.doc_says_private = False
        spec = self.spec
        target = node
        start_row = node.start_point[0]
        prev = None
        for _ in range(3):
            prev = target.prev_named_sibling
            while prev is not None and prev.type in spec.between:
                # Attributes between the doc and the item (`#[cfg_attr(...)]` over lines).
                start_row = min(start_row, prev.start_point[0])
                prev = prev.prev_named_sibling
            if prev is not None or target.parent is None:
                break
            target = target.parent
            if target.type in ("program", "source_file", "translation_unit", "compilation_unit"):
                break
        comments: list[str] = []
        row = start_row
        while prev is not None and prev.type in spec.comment_types:
            end_row = prev.end_point[0] - (1 if prev.end_point[1] == 0 else 0)
            if row - end_row - 1 > (MAX_DOC_GAP if not comments else 0):
                break
            text = node_text(prev).rstrip()  # Rust line comments include their newline
            if text.startswith(("//!", "/*!")):
                break  # Rust inner doc (or a `/*!` banner): not about the item below
            if comments and (text.startswith("/*") or comments[0].startswith("/*")):
                break  # a block comment is a doc of its own: nothing above it joins it
            row = prev.start_point[0]
            if is_noise(strip_markers(text)):
                if comments:
                    break  # a licence or directive above the doc comment ends it
            else:
                comments.append(text)
            prev = prev.prev_named_sibling
            while prev is not None and prev.type in spec.between:
                row = min(row, prev.start_point[0])
                prev = prev.prev_named_sibling
            if len(comments) > MAX_DOC_NODES:
                break
        if not comments:
            return ""
        comments.reverse()
        if self.language == "rust" and not any(c.startswith(("///", "/**")) for c in comments):
            return ""  # plain `//` comments above a Rust item are notes, not documentation
        self.doc_says_private = any(_PRIVATE_TAG.search(c) for c in comments)
        return self._doc_text(comments)
