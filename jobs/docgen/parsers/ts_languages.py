"""The per-language table that drives the tree-sitter walker.

Each language lists which node types are components (and of what kind), which are comments,
what may sit between a doc comment and its declaration, and how to read its imports. Import
targets are normalised to "/"-separated paths; a leading "/" means repository-relative.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import FileInfo, Reexport

Node = Any  # tree_sitter.Node; kept loose so the module imports without the bindings' stubs.


@dataclass(frozen=True)
class LanguageSpec:
    loader: Callable[[], object]
    # node type -> component kind; "?" means the walker decides from the node's content.
    definitions: dict[str, str]
    comment_types: frozenset[str] = frozenset({"comment"})
    # Siblings allowed between a doc comment and its declaration (attributes, decorators).
    between: frozenset[str] = frozenset()
    imports: dict[str, Callable[[Node, FileInfo, str], None]] = field(default_factory=dict)
    regex_require: bool = False
    # Type keywords (`x: boolean`) are never a reference to a component, even one of the same
    # name (zod's `boolean()`): a word found where a node of `type_keyword_nodes` (or a
    # keyword node under one, like `undefined` in a literal type) holds it is not a reference.
    type_keywords: frozenset[str] = frozenset()
    type_keyword_nodes: frozenset[str] = frozenset()


def node_text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def _dir_of(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def repo_relative(rel: str, target: str) -> str:
    """Repo-absolute ("/"-prefixed) form of a path written relative to the importing file."""
    parts = [p for p in _dir_of(rel).split("/") if p]
    for piece in target.split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/" + "/".join(parts)


def _strip_quotes(text: str) -> str:
    return text.strip().strip("'\"`")


# --- import extractors: each appends normalised targets to info.imports --------------------


def _js_import(node: Node, info: FileInfo, rel: str) -> None:
    source = node.child_by_field_name("source")
    if source is None:
        return
    target = _strip_quotes(node_text(source))
    normal = repo_relative(rel, target) if target.startswith(".") else target
    info.imports.append(normal)
    if node.type == "export_statement":
        _js_reexports(node, info, target, normal)


def _js_reexports(node: Node, info: FileInfo, source: str, target: str) -> None:
    """`export { a, b as c } from 'pkg'`, `export * from 'pkg'`, `export * as ns from 'pkg'`."""
    line = node.start_point[0] + 1
    found = False
    for child in node.named_children:
        if child.type == "export_clause":
            for spec in child.named_children:
                if spec.type != "export_specifier":
                    continue
                name = node_text(spec.child_by_field_name("name"))
                alias = node_text(spec.child_by_field_name("alias"))
                if name:
                    shown = alias or name
                    original = name if alias and alias != name else ""
                    info.reexports.append(Reexport(shown, source, original, line, target))
            found = True
        elif child.type == "namespace_export":
            names = [c for c in child.named_children if c.type in ("identifier", "string")]
            if names:
                shown = _strip_quotes(node_text(names[-1]))
                info.reexports.append(Reexport(shown, source, "*", line, target))
            found = True
    if not found:
        info.reexports.append(Reexport("*", source, "", line, target))


def _dotted_import(node: Node, info: FileInfo, rel: str) -> None:
    text = node_text(node)
    text = re.sub(r"^\s*import\s+(static\s+)?", "", text).rstrip(";").strip()
    text = re.sub(r"\s+as\s+\w+$", "", text)
    text = text.removesuffix(".*")
    if text:
        info.imports.append(text.replace(".", "/"))


def _go_import(node: Node, info: FileInfo, rel: str) -> None:
    path = node.child_by_field_name("path")
    if path is not None:
        info.imports.append(_strip_quotes(node_text(path)))


def _rust_use(node: Node, info: FileInfo, rel: str) -> None:
    arg = node.child_by_field_name("argument")
    if arg is None:
        return
    if _rust_public(node) and not _inside_private_mod(node):
        _rust_reexports(node_text(arg), info, node.start_point[0] + 1)
    text = node_text(arg).split("{", 1)[0].rstrip(":").strip()
    text = re.sub(r"\s+as\s+\w+$", "", text)
    parts = [p for p in text.split("::") if p and p not in ("crate", "self", "super")]
    if parts:
        info.imports.append("/".join(parts))


_RUST_LOCAL = ("crate", "self", "super")


def _rust_public(node: Node) -> bool:
    return any(c.type == "visibility_modifier" and node_text(c) == "pub" for c in node.children)


def _inside_private_mod(node: Node) -> bool:
    """`mod lib { pub use core::*; }`: public only inside a module nobody outside sees."""
    parent = node.parent
    for _ in range(20):
        if parent is None:
            return False
        if parent.type == "mod_item" and not _rust_public(parent):
            return True
        parent = parent.parent
    return False


def _rust_reexports(text: str, info: FileInfo, line: int) -> None:
    """`pub use serde::Serialize;`, `pub use crate::de::{A, B as C};`, `pub use a::*;`."""
    text = re.sub(r"\s*([:{},])\s*", r"\1", " ".join(text.split()))
    prefix, brace, rest = text.partition("::{")
    items = rest.rstrip("}").split(",") if brace else [prefix]
    if not brace:
        prefix = ""
    for item in items:
        if not item or "{" in item or "}" in item:
            continue  # nested groups: rare, and their names stay in the source's own docs
        path, _as, alias = item.partition(" as ")
        if not _as or not alias.isidentifier():
            path, alias = item, ""
        full = f"{prefix}::{path}" if prefix else path
        source, _sep, original = full.rpartition("::")
        if not original or (original == "self" and not alias):
            continue
        if original == "self":
            source, _sep, original = source.rpartition("::")
        name = alias or original
        parts = [p for p in source.split("::") if p and p not in _RUST_LOCAL]
        target = "/".join([*parts, original]) if original != "*" else "/".join(parts)
        info.reexports.append(
            Reexport(name, source or original, original if alias else "", line, target)
        )


def _rust_mod(node: Node, info: FileInfo, rel: str) -> None:
    if node.child_by_field_name("body") is None:
        name = node_text(node.child_by_field_name("name"))
        if name:
            info.imports.append(repo_relative(rel, name))


def _c_include(node: Node, info: FileInfo, rel: str) -> None:
    path = node.child_by_field_name("path")
    if path is None:
        return
    text = node_text(path)
    if text.startswith('"'):
        info.imports.append(repo_relative(rel, _strip_quotes(text)))
    else:
        info.imports.append(text.strip("<>"))


def _csharp_using(node: Node, info: FileInfo, rel: str) -> None:
    text = re.sub(r"^\s*(global\s+)?using\s+(static\s+)?", "", node_text(node)).rstrip(";").strip()
    text = text.split("=", 1)[-1].strip()
    if text:
        info.imports.append(text.replace(".", "/"))


def _ruby_require(node: Node, info: FileInfo, rel: str) -> None:
    method = node_text(node.child_by_field_name("method"))
    if method not in ("require", "require_relative", "load"):
        return
    args = node.child_by_field_name("arguments")
    if args is None or args.named_child_count == 0:
        return
    target = _strip_quotes(node_text(args.named_children[0])).removesuffix(".rb")
    if method == "require_relative":
        info.imports.append(repo_relative(rel, target))
    else:
        info.imports.append(target)


def _php_use(node: Node, info: FileInfo, rel: str) -> None:
    for clause in node.named_children:
        if clause.type == "namespace_use_clause":
            name = node_text(clause).split(" as ", 1)[0].strip().lstrip("\\")
            if name:
                info.imports.append(name.replace("\\", "/"))


def _php_require(node: Node, info: FileInfo, rel: str) -> None:
    for child in node.named_children:
        if child.type in ("string", "encapsed_string"):
            target = _strip_quotes(node_text(child)).removesuffix(".php")
            info.imports.append(repo_relative(rel, target) if "/" in target else target)


JS_DEFS = {
    "class_declaration": "class",
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "method_definition": "function",
    "variable_declarator": "?",
    "pair": "?",
}
TS_DEFS = {
    **JS_DEFS,
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "type_alias_declaration": "type",
    "method_signature": "function",
    "abstract_method_signature": "function",
    "function_signature": "function",
    "internal_module": "module",
}
JS_IMPORTS = {"import_statement": _js_import, "export_statement": _js_import}
C_DEFS = {
    "function_definition": "function",
    "declaration": "?",
    "struct_specifier": "struct",
    "union_specifier": "union",
    "enum_specifier": "enum",
    "type_definition": "?",
}


def _loader(module: str, attr: str = "language") -> Callable[[], object]:
    def load() -> object:
        import importlib

        return getattr(importlib.import_module(module), attr)()

    return load


_TS_TYPE_KEYWORDS = frozenset(
    {"any", "bigint", "boolean", "never", "null", "number", "object", "string", "symbol"}
    | {"undefined", "unknown", "void"}
)
# The grammar gives most primitives as `predefined_type`, `bigint` as a plain type name (no type
# may be declared under a primitive's name, so the word decides) and `null`/`undefined` as
# literal types.
_TS_TYPE_KEYWORD_NODES = frozenset({"predefined_type", "type_identifier", "literal_type"})

SPECS: dict[str, LanguageSpec] = {
    "javascript": LanguageSpec(
        _loader("tree_sitter_javascript"), JS_DEFS, imports=JS_IMPORTS, regex_require=True
    ),
    "typescript": LanguageSpec(
        _loader("tree_sitter_typescript", "language_typescript"),
        TS_DEFS,
        imports=JS_IMPORTS,
        regex_require=True,
        type_keywords=_TS_TYPE_KEYWORDS,
        type_keyword_nodes=_TS_TYPE_KEYWORD_NODES,
    ),
    "tsx": LanguageSpec(
        _loader("tree_sitter_typescript", "language_tsx"),
        TS_DEFS,
        imports=JS_IMPORTS,
        regex_require=True,
        type_keywords=_TS_TYPE_KEYWORDS,
        type_keyword_nodes=_TS_TYPE_KEYWORD_NODES,
    ),
    "java": LanguageSpec(
        _loader("tree_sitter_java"),
        {
            "class_declaration": "class",
            "interface_declaration": "interface",
            "enum_declaration": "enum",
            "record_declaration": "record",
            "annotation_type_declaration": "interface",
            "method_declaration": "function",
            "constructor_declaration": "function",
        },
        comment_types=frozenset({"block_comment", "line_comment"}),
        imports={"import_declaration": _dotted_import},
    ),
    "go": LanguageSpec(
        _loader("tree_sitter_go"),
        {
            "type_spec": "?",
            "function_declaration": "function",
            "method_declaration": "function",
            "method_elem": "function",
            "type_alias": "?",
        },
        imports={"import_spec": _go_import},
    ),
    "rust": LanguageSpec(
        _loader("tree_sitter_rust"),
        {
            "struct_item": "struct",
            "enum_item": "enum",
            "union_item": "union",
            "trait_item": "trait",
            "type_item": "type",
            "function_item": "function",
            "function_signature_item": "function",
        },
        comment_types=frozenset({"line_comment", "block_comment"}),
        between=frozenset({"attribute_item"}),
        imports={"use_declaration": _rust_use, "mod_item": _rust_mod},
    ),
    "c": LanguageSpec(_loader("tree_sitter_c"), C_DEFS, imports={"preproc_include": _c_include}),
    "cpp": LanguageSpec(
        _loader("tree_sitter_cpp"),
        {**C_DEFS, "class_specifier": "class", "field_declaration": "?"},
        imports={"preproc_include": _c_include},
    ),
    "csharp": LanguageSpec(
        _loader("tree_sitter_c_sharp"),
        {
            "class_declaration": "class",
            "interface_declaration": "interface",
            "struct_declaration": "struct",
            "enum_declaration": "enum",
            "record_declaration": "record",
            "method_declaration": "function",
            "constructor_declaration": "function",
        },
        between=frozenset({"attribute_list"}),
        imports={"using_directive": _csharp_using},
    ),
    "ruby": LanguageSpec(
        _loader("tree_sitter_ruby"),
        {
            "class": "class",
            "module": "module",
            "method": "function",
            "singleton_method": "function",
        },
        imports={"call": _ruby_require},
    ),
    "php": LanguageSpec(
        _loader("tree_sitter_php", "language_php"),
        {
            "class_declaration": "class",
            "interface_declaration": "interface",
            "trait_declaration": "trait",
            "enum_declaration": "enum",
            "function_definition": "function",
            "method_declaration": "function",
        },
        between=frozenset({"attribute_list"}),
        imports={
            "namespace_use_declaration": _php_use,
            "require_expression": _php_require,
            "require_once_expression": _php_require,
            "include_expression": _php_require,
            "include_once_expression": _php_require,
        },
    ),
    "kotlin": LanguageSpec(
        _loader("tree_sitter_kotlin"),
        {
            "class_declaration": "?",
            "object_declaration": "object",
            "function_declaration": "function",
        },
        comment_types=frozenset({"block_comment", "line_comment"}),
        imports={"import": _dotted_import, "import_header": _dotted_import},
    ),
}
