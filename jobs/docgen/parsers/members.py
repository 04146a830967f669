"""Fields, properties and enum variants declared inside class-like components.

Each handler receives one declaration node met while the tree-sitter walker visits the body
of a class-like component and appends the public members it declares to that component.
A handler returns False when the node is not a member after all (a C++ method declared in a
class body), so the walker treats it as it would without the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..model import Component, Member
from .common import one_line
from .ts_languages import Node, node_text

MAX_MEMBER_TYPE = 80


class MemberContext(Protocol):
    """What a handler needs from the walker."""

    def doc_comment(self, node: Node) -> str: ...


class ModuleScope:
    """Stands in for a component while a file's module-level constants are collected."""

    kind = "module"

    def __init__(self, members: list[Member]) -> None:
        self.members = members


Handler = Callable[[MemberContext, Node, Component], bool]
TopHandler = Callable[[MemberContext, Node, ModuleScope], bool]


def _type_text(node: Node | None) -> str:
    if node is None:
        return ""
    text = node_text(node)
    if node.type == "type_annotation":  # TypeScript `: string`
        text = text.lstrip(":")
    return one_line(text.strip(), MAX_MEMBER_TYPE)


def _doc(ctx: MemberContext, node: Node) -> str:
    """The doc comment above the member, else a comment trailing it on the same line."""
    doc = ctx.doc_comment(node)
    if doc:
        return doc
    nxt = node.next_named_sibling
    if (
        nxt is not None
        and "comment" in nxt.type
        and nxt.start_point[0] == node.end_point[0]
        and not node_text(nxt).startswith(("/**", "///", "/*!"))
    ):
        text = node_text(nxt).strip()
        for prefix in ("//", "/*", "#"):
            text = text.removeprefix(prefix)
        return text.removesuffix("*/").strip()
    return ""


def _add(
    comp: Component | ModuleScope, name: str, kind: str, type_: str, doc: str, node: Node
) -> None:
    comp.members.append(Member(name, kind, type_, doc, node.start_point[0] + 1))


def _has_word(node: Node, words: tuple[str, ...], modifier_types: tuple[str, ...]) -> bool:
    for child in node.children:
        if child.type in modifier_types:
            text = node_text(child)
            if any(w in text.split() for w in words):
                return True
    return False


# --- Go -----------------------------------------------------------------------------------


def _go_exported(name: str) -> bool:
    return bool(name) and name[0].isupper()


def go_field(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if node.parent is None or node.parent.type != "field_declaration_list":
        return True
    type_node = node.child_by_field_name("type")
    names = [node_text(c) for c in node.named_children if c.type == "field_identifier"]
    doc = _doc(ctx, node)
    if not names:
        # An embedded type: its fields and methods are promoted into this struct.
        embedded = node_text(type_node) if type_node is not None else ""
        if not embedded:
            embedded = " ".join(node_text(c) for c in node.named_children if "type" in c.type)
        short = embedded.lstrip("*").rsplit(".", 1)[-1].split("[", 1)[0]
        if _go_exported(short):
            _add(comp, embedded.lstrip("*"), "embedded", embedded, doc, node)
            comp.bases.append(short)
        return True
    type_ = _type_text(type_node)
    for name in names:
        if _go_exported(name):
            _add(comp, name, "field", type_, doc, node)
    return True


def go_type_elem(ctx: MemberContext, node: Node, comp: Component) -> bool:
    text = one_line(node_text(node), MAX_MEMBER_TYPE)
    short = text.lstrip("*~").rsplit(".", 1)[-1].split("[", 1)[0]
    if short.isidentifier():
        _add(comp, text, "embedded", text, _doc(ctx, node), node)
        comp.bases.append(short)
    else:  # a type set such as `~int | ~float64`
        _add(comp, text, "constraint", "", _doc(ctx, node), node)
    return True


# --- TypeScript / JavaScript ---------------------------------------------------------------


def ts_property_signature(ctx: MemberContext, node: Node, comp: Component) -> bool:
    name = node_text(node.child_by_field_name("name"))
    if not name or name.startswith("_"):
        return True  # `_def`: internal by convention, like `_name` methods
    if any(c.type == "?" for c in node.children):
        name += "?"
    type_ = _type_text(node.child_by_field_name("type"))
    if any(c.type == "readonly" for c in node.children):
        type_ = f"readonly {type_}".strip()
    _add(comp, name, "property", type_, _doc(ctx, node), node)
    return True


def ts_signature_member(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """`[key: string]: T`, `(x: number): string`, `new (x: string): T` in an interface."""
    text = one_line(node_text(node).rstrip(";,"), MAX_MEMBER_TYPE)
    _add(comp, text, "signature", "", _doc(ctx, node), node)
    return True


def ts_field(ctx: MemberContext, node: Node, comp: Component) -> bool:
    name_node = node.child_by_field_name("name") or node.child_by_field_name("property")
    name = node_text(name_node)
    if not name or name.startswith(("#", "_")):
        return True
    for child in node.children:
        if child.type == "accessibility_modifier" and node_text(child) != "public":
            return True
    type_ = _type_text(node.child_by_field_name("type"))
    value = node.child_by_field_name("value")
    if value is not None and value.end_point[0] == value.start_point[0]:
        shown = one_line(node_text(value), 40)
        type_ = f"{type_} = {shown}" if type_ else f"= {shown}"
    words = [node_text(c) for c in node.children if c.type in ("static", "readonly")]
    if words:
        type_ = " ".join([*words, type_]).strip()
    _add(comp, name, "field", type_, _doc(ctx, node), node)
    return True


def ts_parameter_properties(constructor: Node, comp: Component) -> None:
    """`constructor(public name: string, readonly id: number)`: parameters that are fields."""
    params = constructor.child_by_field_name("parameters")
    if params is None:
        return
    for param in params.named_children:
        words = [
            node_text(c)
            for c in param.named_children
            if c.type in ("accessibility_modifier", "override_modifier")
        ]
        readonly = any(c.type == "readonly" for c in param.children)
        if not words and not readonly:
            continue
        if any(w in ("private", "protected") for w in words):
            continue
        name = node_text(param.child_by_field_name("pattern"))
        if name.isidentifier() and not any(m.name == name for m in comp.members):
            type_ = _type_text(param.child_by_field_name("type"))
            shown = f"readonly {type_}".strip() if readonly else type_
            _add(comp, name, "field", shown, "", param)


def ts_enum_member(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if node.parent is None or node.parent.type != "enum_body":
        return False
    if node.type == "enum_assignment":
        name = node_text(node.child_by_field_name("name"))
        value = node_text(node.child_by_field_name("value"))
    else:
        name, value = node_text(node), ""
    if name:
        _add(comp, name, "variant", one_line(value, MAX_MEMBER_TYPE), _doc(ctx, node), node)
    return True


_CALLABLE = ("arrow_function", "function_expression", "function", "generator_function")


def js_pair(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """A non-function property of an object literal that is a component (`module.exports`)."""
    value = node.child_by_field_name("value")
    if value is None or value.type in _CALLABLE:
        return False  # a method: the walker makes it a component
    if comp.kind != "object" or node.parent is None or node.parent.type != "object":
        return True
    name = node_text(node.child_by_field_name("key")).strip("'\"`")
    if name and not name.startswith("_"):
        shown = "{…}" if value.type == "object" else one_line(node_text(value), 40)
        _add(comp, name, "property", shown, _doc(ctx, node), node)
    return True


def js_shorthand(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if comp.kind == "object" and node.parent is not None and node.parent.type == "object":
        name = node_text(node)
        if not name.startswith("_"):
            _add(comp, name, "property", "", _doc(ctx, node), node)
    return True


# --- Java / C# / Kotlin -------------------------------------------------------------------


def java_field(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if comp.kind != "interface" and _has_word(node, ("private",), ("modifiers",)):
        return True
    type_ = _type_text(node.child_by_field_name("type"))
    if _has_word(node, ("static",), ("modifiers",)) and _has_word(node, ("final",), ("modifiers",)):
        type_ = f"static final {type_}"
    doc = _doc(ctx, node)
    for child in node.named_children:
        if child.type == "variable_declarator":
            name = node_text(child.child_by_field_name("name"))
            if name:
                _add(comp, name, "field", type_, doc, node)
    return True


def java_enum_constant(ctx: MemberContext, node: Node, comp: Component) -> bool:
    name = node_text(node.child_by_field_name("name"))
    args = node.child_by_field_name("arguments")
    if name:
        _add(comp, name, "variant", _type_text(args), _doc(ctx, node), node)
    return True


def java_record_component(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """`record R(int x, String y)`: each component is a public field with an accessor."""
    holder = node.parent.parent if node.parent is not None else None
    if holder is None or holder.type not in ("record_declaration",) or comp.kind != "record":
        return True
    name = node_text(node.child_by_field_name("name"))
    if name:
        _add(comp, name, "field", _type_text(node.child_by_field_name("type")), "", node)
    return True


def java_annotation_element(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """`String[] alternate() default {};` in an `@interface`: what users write in `@X(...)`."""
    name = node_text(node.child_by_field_name("name"))
    type_ = _type_text(node.child_by_field_name("type"))
    value = node.child_by_field_name("value")
    if value is not None:
        type_ = f"{type_} default {one_line(node_text(value), 40)}"
    if name:
        _add(comp, name, "element", type_, _doc(ctx, node), node)
    return True


_CSHARP_VISIBLE = ("public", "protected")


def _csharp_visible(node: Node, comp: Component) -> bool:
    if comp.kind == "interface":
        return True
    return _has_word(node, _CSHARP_VISIBLE, ("modifier",))


def csharp_property(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if not _csharp_visible(node, comp):
        return True
    name = node_text(node.child_by_field_name("name"))
    type_ = _type_text(node.child_by_field_name("type"))
    accessors = node.child_by_field_name("accessors")
    if accessors is not None:
        kinds = [_accessor_word(c) for c in accessors.named_children]
        shown = "; ".join(k for k in kinds if k)
        if shown:
            type_ = f"{type_} {{ {shown}; }}"
    elif any(c.type == "arrow_expression_clause" for c in node.children):
        type_ = f"{type_} {{ get; }}"
    if name:
        _add(comp, name, "property", type_, _doc(ctx, node), node)
    return True


def _accessor_word(node: Node) -> str:
    words = [node_text(c) for c in node.children if c.type in ("get", "set", "init", "modifier")]
    return " ".join(w for w in words if w)


def csharp_field(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if not _csharp_visible(node, comp):
        return True
    declaration = next((c for c in node.named_children if c.type == "variable_declaration"), None)
    if declaration is None:
        return True
    type_ = _type_text(declaration.child_by_field_name("type"))
    if _has_word(node, ("const",), ("modifier",)):
        type_ = f"const {type_}"
    kind = "event" if node.type == "event_field_declaration" else "field"
    doc = _doc(ctx, node)
    for child in declaration.named_children:
        if child.type == "variable_declarator":
            name = node_text(child.child_by_field_name("name") or child.named_children[0])
            if name:
                _add(comp, name, kind, type_, doc, node)
    return True


def csharp_enum_member(ctx: MemberContext, node: Node, comp: Component) -> bool:
    name = node_text(node.child_by_field_name("name"))
    value = node_text(node.child_by_field_name("value"))
    if name:
        _add(comp, name, "variant", one_line(value, MAX_MEMBER_TYPE), _doc(ctx, node), node)
    return True


def csharp_record_parameter(ctx: MemberContext, node: Node, comp: Component) -> bool:
    holder = node.parent.parent if node.parent is not None else None
    if holder is None or holder.type != "record_declaration" or comp.kind != "record":
        return True
    name = node_text(node.child_by_field_name("name"))
    if name:
        _add(comp, name, "property", _type_text(node.child_by_field_name("type")), "", node)
    return True


_KT_IDENTS = ("identifier", "simple_identifier")


def _kotlin_private(node: Node) -> bool:
    for child in node.named_children:
        if child.type == "modifiers":
            return any(
                node_text(m) in ("private", "internal")
                for m in child.named_children
                if m.type == "visibility_modifier"
            )
    return False


def kotlin_property(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if _kotlin_private(node):
        return True
    declaration = next((c for c in node.named_children if c.type == "variable_declaration"), None)
    if declaration is None:
        return True
    idents = [c for c in declaration.named_children if c.type in _KT_IDENTS]
    types = [c for c in declaration.named_children if c.type not in ("identifier",)]
    if not idents:
        return True
    word = next((node_text(c) for c in node.children if c.type in ("val", "var")), "")
    if any("const" in node_text(c).split() for c in node.named_children if c.type == "modifiers"):
        word = f"const {word}"
    type_ = " ".join(x for x in (word, _type_text(types[0]) if types else "") if x)
    # The initial value: the expression after the declaration (not a getter or a delegate).
    after = declaration.next_named_sibling
    if (
        after is not None
        and after.type not in ("getter", "setter", "property_delegate")
        and "comment" not in after.type
        and after.start_point[0] == after.end_point[0]
    ):
        type_ = f"{type_} = {one_line(node_text(after), 40)}"
    _add(comp, node_text(idents[0]), "property", type_, _doc(ctx, node), node)
    return True


def kotlin_class_parameter(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """A primary-constructor parameter declared `val`/`var` is a property of the class."""
    word = next((node_text(c) for c in node.children if c.type in ("val", "var")), "")
    if not word or _kotlin_private(node):
        return True
    ident = next(c for c in node.named_children if c.type in _KT_IDENTS)
    types = [c for c in node.named_children if c.type not in ("identifier", "modifiers")]
    type_ = f"{word} {_type_text(types[0])}" if types else word
    _add(comp, node_text(ident), "property", type_, _doc(ctx, node), node)
    return True


def kotlin_enum_entry(ctx: MemberContext, node: Node, comp: Component) -> bool:
    ident = next(c for c in node.named_children if c.type in _KT_IDENTS)
    args = next((c for c in node.named_children if c.type == "value_arguments"), None)
    _add(comp, node_text(ident), "variant", _type_text(args), _doc(ctx, node), node)
    return True


# --- PHP and Ruby -------------------------------------------------------------------------


def _php_hidden(node: Node) -> bool:
    return any(
        c.type == "visibility_modifier" and node_text(c) == "private" for c in node.named_children
    )


def _php_type(node: Node) -> str:
    for child in node.named_children:
        if child.type.endswith("_type") or child.type in ("union_type", "intersection_type"):
            return _type_text(child)
    return ""


def php_property(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if _php_hidden(node):
        return True
    type_ = _php_type(node)
    doc = _doc(ctx, node)
    for element in node.named_children:
        if element.type != "property_element":
            continue
        variable = next((c for c in element.named_children if c.type == "variable_name"), None)
        if variable is not None:
            _add(comp, node_text(variable), "property", type_, doc, node)
    return True


def php_const(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if _php_hidden(node):
        return True
    doc = _doc(ctx, node)
    for element in node.named_children:
        if element.type != "const_element":
            continue
        parts = element.named_children
        if parts:
            value = f"= {one_line(node_text(parts[-1]), 40)}" if len(parts) > 1 else ""
            _add(comp, node_text(parts[0]), "constant", value, doc, node)
    return True


def php_enum_case(ctx: MemberContext, node: Node, comp: Component) -> bool:
    parts = node.named_children
    if parts:
        value = one_line(node_text(parts[-1]), 40) if len(parts) > 1 else ""
        _add(comp, node_text(parts[0]), "variant", value, _doc(ctx, node), node)
    return True


def php_promoted_parameters(constructor: Node, comp: Component) -> None:
    """`public function __construct(public int $n)`: promoted parameters are properties."""
    params = constructor.child_by_field_name("parameters")
    if params is None:
        return
    for param in params.named_children:
        if param.type != "property_promotion_parameter" or _php_hidden(param):
            continue
        variable = next((c for c in param.named_children if c.type == "variable_name"), None)
        if variable is not None:
            _add(comp, node_text(variable), "property", _php_type(param), "", param)


_RUBY_ATTRS = {
    "attr_accessor": "read/write",
    "attr_reader": "read-only",
    "attr_writer": "write-only",
}


def _ruby_visibility(node: Node) -> str:
    """`private` / `protected` on a line of its own applies to what follows it."""
    sibling = node.prev_named_sibling
    steps = 0
    while sibling is not None and steps < 500:
        if sibling.type == "identifier" and node_text(sibling) in (
            "private",
            "protected",
            "public",
        ):
            return node_text(sibling)
        sibling = sibling.prev_named_sibling
        steps += 1
    return "public"


def ruby_call(ctx: MemberContext, node: Node, comp: Component) -> bool:
    method = node_text(node.child_by_field_name("method"))
    access = _RUBY_ATTRS.get(method)
    if access is None or node.child_by_field_name("receiver") is not None:
        return False  # not an attribute declaration (maybe a `require`)
    if _ruby_visibility(node) != "public":
        return True
    args = node.child_by_field_name("arguments")
    doc = _doc(ctx, node)
    for arg in args.named_children if args is not None else []:
        if arg.type == "simple_symbol":
            _add(comp, node_text(arg).lstrip(":"), "attribute", access, doc, node)
    return True


def ruby_constant(ctx: MemberContext, node: Node, comp: Component) -> bool:
    left = node.child_by_field_name("left")
    if left is None or left.type != "constant":
        return True
    right = node.child_by_field_name("right")
    value = f"= {one_line(node_text(right), 40)}" if right is not None else ""
    _add(comp, node_text(left), "constant", value, _doc(ctx, node), node)
    return True


# --- Rust -----------------------------------------------------------------------------------


def _rust_pub(node: Node) -> bool:
    return any(c.type == "visibility_modifier" and node_text(c) == "pub" for c in node.children)


def rust_field(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if comp.kind == "struct" and not _rust_pub(node):
        return True
    name = node_text(node.child_by_field_name("name"))
    if name:
        type_ = _type_text(node.child_by_field_name("type"))
        _add(comp, name, "field", type_, _doc(ctx, node), node)
    return True


def rust_tuple_fields(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """`pub struct Meters(pub f64)`: the public positions, named `0`, `1`, …"""
    index = 0
    public = False
    for child in node.named_children:
        if child.type == "visibility_modifier":
            public = node_text(child) == "pub"
            continue
        if "comment" in child.type or child.type == "attribute_item":
            continue
        if public:
            _add(comp, str(index), "field", _type_text(child), "", child)
        index += 1
        public = False
    return True


def rust_variant(ctx: MemberContext, node: Node, comp: Component) -> bool:
    name = node_text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    value = node.child_by_field_name("value")
    shown = _type_text(body) if body is not None else (f"= {node_text(value)}" if value else "")
    if name:
        _add(comp, name, "variant", shown, _doc(ctx, node), node)
    return True


def rust_associated_type(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """`type Ok;` / `type Error: Error;` in a trait: what every implementation chooses."""
    name = node_text(node.child_by_field_name("name"))
    bounds = node.child_by_field_name("bounds")
    default = node.child_by_field_name("default_type")
    shown = _type_text(bounds).lstrip(":").strip() if bounds is not None else ""
    if default is not None:
        shown = f"{shown} = {_type_text(default)}".strip()
    if name:
        _add(comp, name, "associated type", shown, _doc(ctx, node), node)
    return True


def rust_trait_const(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if comp.kind != "trait":
        return True
    name = node_text(node.child_by_field_name("name"))
    type_ = _type_text(node.child_by_field_name("type"))
    if name:
        _add(comp, name, "constant", type_, _doc(ctx, node), node)
    return True


# --- C / C++ --------------------------------------------------------------------------------

_DECLARATOR_NAMES = ("field_identifier", "identifier")


def _c_field_names(node: Node) -> list[tuple[str, str]] | None:
    """(name, pointer stars and array sizes) declared by a C field declaration; None when it
    declares a function (a C++ method)."""
    names: list[tuple[str, str]] = []
    for child in node.children_by_field_name("declarator"):
        current = child
        stars = dims = ""
        for _ in range(8):
            if current.type == "pointer_declarator":
                stars += "*"
            elif current.type == "array_declarator":
                size = current.child_by_field_name("size")
                dims = f"[{one_line(node_text(size), 20) if size is not None else ''}]" + dims
            if current.type == "function_declarator":
                inner = current.child_by_field_name("declarator")
                if inner is None or inner.type != "parenthesized_declarator":
                    return None  # a method, not a function-pointer field
                stars = "fn"
            if current.type in _DECLARATOR_NAMES:
                names.append((node_text(current), f"{stars}{dims}" if stars != "fn" else stars))
                break
            nxt = current.child_by_field_name("declarator")
            if nxt is None:
                nxt = next(
                    (
                        c
                        for c in current.named_children
                        if "declarator" in c.type or c.type in _DECLARATOR_NAMES
                    ),
                    None,
                )
            if nxt is None:
                break
            current = nxt
    return names


def _cpp_public(node: Node, comp: Component) -> bool:
    """Members of a C++ `class` are private until an access specifier says otherwise."""
    sibling = node.prev_sibling
    steps = 0
    while sibling is not None and steps < 500:
        if sibling.type == "access_specifier":
            return node_text(sibling).strip().rstrip(":").strip() == "public"
        sibling = sibling.prev_sibling
        steps += 1
    return comp.kind != "class"


def c_field(ctx: MemberContext, node: Node, comp: Component) -> bool:
    if node.parent is None or node.parent.type != "field_declaration_list":
        return True
    names = _c_field_names(node)
    if names is None:
        return False  # a C++ method declaration: a component
    if not _cpp_public(node, comp):
        return True
    type_node = node.child_by_field_name("type")
    type_ = _type_text(type_node)
    if type_node is not None and type_node.child_by_field_name("body") is not None:
        type_ = node_text(type_node).split("{", 1)[0].strip() + " {…}"
    doc = _doc(ctx, node)
    for name, stars in names:
        if stars.startswith("fn"):  # a function pointer: its whole declaration is its type
            shown = one_line(node_text(node).rstrip(";"), MAX_MEMBER_TYPE)
        else:
            shown = f"{type_} {stars}" if stars.startswith("*") else f"{type_}{stars}"
        _add(comp, name, "field", shown, doc, node)
    return True


def c_enumerator(ctx: MemberContext, node: Node, comp: Component) -> bool:
    name = node_text(node.child_by_field_name("name"))
    value = node.child_by_field_name("value")
    if name:
        shown = f"= {one_line(node_text(value), 60)}" if value is not None else ""
        _add(comp, name, "variant", shown, _doc(ctx, node), node)
    return True


# --- module-level constants and variables --------------------------------------------------


def go_constants(ctx: MemberContext, node: Node, scope: ModuleScope) -> bool:
    kind = "constant" if node.type == "const_declaration" else "variable"
    specs = [c for c in node.named_children if c.type in ("const_spec", "var_spec")]
    for group in node.named_children:
        if group.type == "var_spec_list":
            specs += [c for c in group.named_children if c.type == "var_spec"]
    for spec in specs:
        names = [node_text(c) for c in spec.children_by_field_name("name")]
        type_ = _type_text(spec.child_by_field_name("type"))
        value = spec.child_by_field_name("value")
        if value is not None and len(names) == 1:
            shown = one_line(node_text(value), 40)
            type_ = f"{type_} = {shown}" if type_ else f"= {shown}"
        doc = _doc(ctx, spec)
        for name in names:
            if _go_exported(name):
                _add(scope, name, kind, type_, doc, spec)
    return True


def rust_constant(ctx: MemberContext, node: Node, scope: ModuleScope) -> bool:
    if not _rust_pub(node):
        return True
    name = node_text(node.child_by_field_name("name"))
    type_ = _type_text(node.child_by_field_name("type"))
    value = node.child_by_field_name("value")
    if value is not None and value.start_point[0] == value.end_point[0]:
        type_ = f"{type_} = {one_line(node_text(value), 40)}"
    kind = "constant" if node.type == "const_item" else "variable"
    if name:
        _add(scope, name, kind, type_, _doc(ctx, node), node)
    return True


def js_exported_variables(ctx: MemberContext, node: Node, scope: ModuleScope) -> bool:
    """`export const VERSION = "1.0"`: exported values that are not functions or objects
    with methods (those become components). The walker still visits the declaration."""
    if node.parent is None or node.parent.type != "export_statement":
        return False
    keyword = "constant" if node_text(node).startswith("const") else "variable"
    for decl in node.named_children:
        if decl.type != "variable_declarator":
            continue
        name_node = decl.child_by_field_name("name")
        value = decl.child_by_field_name("value")
        if name_node is None or name_node.type != "identifier":
            continue
        if value is not None and (value.type in _CALLABLE or _object_with_methods(value)):
            continue
        type_ = _type_text(decl.child_by_field_name("type"))
        if value is not None:
            shown = "{…}" if value.type == "object" else one_line(node_text(value), 40)
            type_ = f"{type_} = {shown}" if type_ else f"= {shown}"
        _add(scope, node_text(name_node), keyword, type_, _doc(ctx, node.parent), decl)
    return False


def js_namespace_values(ctx: MemberContext, node: Node, comp: Component) -> bool:
    """`export const X = 1` inside a TypeScript `namespace`: a member of the namespace."""
    if comp.kind != "module":
        return False
    return js_exported_variables(ctx, node, comp)  # type: ignore[arg-type]


def _object_with_methods(value: Node) -> bool:
    if value.type != "object":
        return False
    return any(
        c.type == "method_definition"
        or (c.type == "pair" and getattr(c.child_by_field_name("value"), "type", "") in _CALLABLE)
        for c in value.named_children
    )


def kotlin_top_property(ctx: MemberContext, node: Node, scope: ModuleScope) -> bool:
    return kotlin_property(ctx, node, scope)  # type: ignore[arg-type]


_TS = {
    "property_signature": ts_property_signature,
    "index_signature": ts_signature_member,
    "call_signature": ts_signature_member,
    "construct_signature": ts_signature_member,
    "public_field_definition": ts_field,
    "field_definition": ts_field,
    "enum_assignment": ts_enum_member,
    "property_identifier": ts_enum_member,
    "pair": js_pair,
    "shorthand_property_identifier": js_shorthand,
    "lexical_declaration": js_namespace_values,
}
_C = {"field_declaration": c_field, "enumerator": c_enumerator}

HANDLERS: dict[str, dict[str, Handler]] = {
    "go": {"field_declaration": go_field, "type_elem": go_type_elem},
    "typescript": _TS,
    "tsx": _TS,
    "javascript": {
        "field_definition": ts_field,
        "pair": js_pair,
        "shorthand_property_identifier": js_shorthand,
    },
    "java": {
        "field_declaration": java_field,
        "constant_declaration": java_field,
        "enum_constant": java_enum_constant,
        "formal_parameter": java_record_component,
        "annotation_type_element_declaration": java_annotation_element,
    },
    "csharp": {
        "property_declaration": csharp_property,
        "field_declaration": csharp_field,
        "event_field_declaration": csharp_field,
        "enum_member_declaration": csharp_enum_member,
        "parameter": csharp_record_parameter,
    },
    "kotlin": {
        "property_declaration": kotlin_property,
        "class_parameter": kotlin_class_parameter,
        "enum_entry": kotlin_enum_entry,
    },
    "rust": {
        "field_declaration": rust_field,
        "ordered_field_declaration_list": rust_tuple_fields,
        "enum_variant": rust_variant,
        "associated_type": rust_associated_type,
        "const_item": rust_trait_const,
    },
    "c": _C,
    "cpp": _C,
    "php": {
        "property_declaration": php_property,
        "const_declaration": php_const,
        "enum_case": php_enum_case,
    },
    "ruby": {"call": ruby_call, "assignment": ruby_constant},
}

_JS_TOP: dict[str, TopHandler] = {
    "lexical_declaration": js_exported_variables,
    "variable_declaration": js_exported_variables,
}
TOP_HANDLERS: dict[str, dict[str, TopHandler]] = {
    "go": {"const_declaration": go_constants, "var_declaration": go_constants},
    "rust": {"const_item": rust_constant, "static_item": rust_constant},
    "typescript": _JS_TOP,
    "tsx": _JS_TOP,
    "javascript": _JS_TOP,
    "kotlin": {"property_declaration": kotlin_top_property},
}
