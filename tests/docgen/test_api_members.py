"""The whole public API as users call it: fields, assigned members, overloads, re-exports.

Each fixture under fixtures/api/<language> holds the cases of one language; the tests name
what a reader must find, in the extracted components and on the rendered module page.
"""

from __future__ import annotations

from jobs.docgen.model import Component

from .conftest import FIXTURES, analyse

API = FIXTURES / "api"


def members(comp: Component, kind: str | None = None) -> dict[str, str]:
    return {m.name: m.type for m in comp.members if kind is None or m.kind == kind}


def page_with(site, text: str) -> str:
    """The one generated page that shows `text` (a component's section, a table row)."""
    pages = [site.text(p) for p in site.pages() if text in site.text(p)]
    assert pages, f"{text!r} is on no page"
    return pages[0]


def section(page: str, heading: str) -> str:
    """From an API heading to the next heading of the same or a higher level."""
    start = page.index(heading)
    rest = page[start + len(heading) :]
    ends = [i for i in (rest.find("\n### "), rest.find("\n#### "), rest.find("\n## ")) if i >= 0]
    return page[start : start + len(heading) + (min(ends) if ends else len(rest))]


def test_go_struct_fields_embedded_types_and_interface_members(build_site) -> None:
    a = analyse(API / "go")
    item = a.comp("Item")
    assert members(item, "field") == {"Name": "string", "Price": "float64"}
    assert set(members(item, "embedded")) == {"Base", "io.Reader"}
    assert "secret" not in members(item)  # unexported
    by_name = {m.name: m for m in item.members}
    assert by_name["Name"].doc == "Name is shown to customers."
    assert by_name["Price"].doc == "in euros"  # a trailing comment
    # An embedded struct of this repository is what the type builds on.
    assert a.base_names("Item") == {"Base"}
    store = a.comp("Store")
    assert set(members(store, "embedded")) == {"io.Closer"}
    assert a.comp("Store.Get").kind == "method"
    assert a.comp("Store.Get").doc == "Get returns one item."
    reexports = a.files["store/store.go"].reexports
    assert [(r.name, r.source) for r in reexports] == [("Reader", "io")]

    page = page_with(build_site(API / "go"), "### Item")
    item_section = section(page, "### Item")
    assert "**Members:**" in item_section
    assert "| `Name` | field | `string` | Name is shown to customers. |" in item_section
    # A type defined in the repository links to its section.
    assert "| `Base` | embedded type | [`Base`](store.md#base) |" in item_section
    assert "| Item | struct (4 members) |" in page
    assert "## Re-exports" in page
    assert "| `Reader` | `io` |" in page


def test_typescript_interface_and_type_literal_members_and_overloads(build_site) -> None:
    a = analyse(API / "ts")
    options = a.comp("RequestOptions")
    assert members(options) == {"url": "string", "timeout?": "readonly number"}
    assert {m.name: m.doc for m in options.members}["url"] == "Where to send it."
    assert a.comp("RequestOptions.send").kind == "method"
    assert members(a.comp("Point")) == {"x": "number", "y": "number"}
    client = a.comp("Client")
    assert members(client) == {"baseUrl": 'string = ""'}  # `private token` is not API
    # Constructor parameter properties are fields too; `private` ones are not API.
    assert members(a.comp("Token")) == {"value": "readonly string"}
    # Overload signatures are listed under the implementation; none is a separate entry.
    parse = a.comp("parse")
    assert [m.type for m in parse.overloads] == [
        "export function parse(value: string): number",
        "export function parse(value: number): number",
    ]
    assert parse.doc == "Parse a value."
    assert len([c for c in a.by_id.values() if c.qualname == "parse"]) == 1
    assert len(a.comp("Client.get").overloads) == 2
    # A namespace is a component; its functions and values are its members.
    assert a.comp("util").kind == "module"
    assert a.comp("util.join").kind == "method"
    assert members(a.comp("util")) == {"SEPARATOR": '= "/"'}
    # A setter is shown under its getter, not as an overload.
    size = a.comp("Box.size")
    assert [(m.kind, m.type) for m in size.overloads] == [("setter", "set size(value: number)")]
    reexports = {(r.name, r.source, r.original) for r in a.files["src/options.ts"].reexports}
    assert reexports == {("schema", "zod", "z"), ("*", "./helpers", "")}

    site = build_site(API / "ts")
    page = page_with(site, "### RequestOptions")
    assert "| `url` | `string` | Where to send it. |" in section(page, "### RequestOptions")
    parse_section = section(page, "### parse")
    assert "- `export function parse(value: string): number`" in parse_section
    assert "- `export function parse(value: number): number`" in parse_section
    assert "| `schema` | `zod` (as `z`) |" in page


def test_javascript_members_assigned_rather_than_declared(build_site) -> None:
    a = analyse(API / "js")
    assert a.comp("app").kind == "object"
    assert a.comp("app.use").kind == "method"
    assert a.comp("app.use").signature == "app.use = function use(fn)"
    assert a.comp("app.use").doc == "Mount middleware on the app."
    assert a.comp("app.listen").doc == "Start listening."
    # A constructor function with prototype methods reads as the class it is.
    assert a.comp("Widget").kind == "class"
    assert a.comp("Widget.draw").kind == "method"
    assert a.comp("Widget.draw").doc == "Draw the widget."
    exported = a.comp("module.exports")
    assert a.comp("module.exports.trim").doc == "Trim both ends."
    assert a.comp("module.exports.pad").kind == "method"
    assert set(members(exported)) == {"escape", "VERSION"}
    reexports = a.files["lib/application.js"].reexports
    assert [(r.name, r.source, r.original) for r in reexports] == [
        ("json", "body-parser", ""),
        ("colors", "../support/colors", ""),
    ]

    site = build_site(API / "js")
    page = page_with(site, "#### app.use")
    assert "| app | object (2 methods) |" in page  # `app.handle` says it is `@private`
    assert a.comp("app.handle").private
    assert "#### app.handle" not in page
    assert "app.use = function use(fn)" in section(page, "#### app.use")
    assert "#### Widget.draw" in page
    assert "#### module.exports.trim" in page
    assert "| `json` | `body-parser` |" in page
    # A re-exported repository file links to its module page.
    row = next(line for line in page.splitlines() if line.startswith("| `colors` |"))
    target = row.split("](", 1)[1].split(")", 1)[0]
    assert row.startswith("| `colors` | [`../support/colors`](")
    assert "support/colors.js" in site.text(target)


def test_java_overloads_all_listed_and_public_fields(build_site) -> None:
    a = analyse(API / "java")
    add = a.comp("Cart.add")
    assert add.signature == "public void add(String item)"
    assert [m.type for m in add.overloads] == [
        "public void add(String item, int quantity)",
        "public void add(Iterable<String> items)",
    ]
    assert [m.doc for m in add.overloads] == ["Add several of an item.", ""]
    assert members(a.comp("Cart")) == {"MAX_ITEMS": "static final int"}  # not private count
    assert members(a.comp("Cart.Payment"), "variant") == {"CARD": "", "CASH": ""}
    # An annotation's elements are what users write inside `@SerializedName(...)`.
    assert members(a.comp("SerializedName")) == {
        "value": "String",
        "alternate": "String[] default {}",
    }
    # A method without a body: its whole declaration is the signature, on one line.
    assert a.comp("Pricing.total").signature == "double total(Cart cart, String currency)"

    page = page_with(build_site(API / "java"), "#### Cart.add")
    add_section = section(page, "#### Cart.add")
    assert "**Also declared as (2 more overloads):**" in add_section
    assert "- `public void add(String item, int quantity)` — Add several of an item." in (
        add_section
    )
    assert "- `public void add(Iterable<String> items)`" in add_section
    assert "| `MAX_ITEMS` | `static final int` | Most items allowed. |" in page


def test_python_fields_enum_members_overload_stubs_and_reexports(build_site) -> None:
    a = analyse(API / "py")
    assert members(a.comp("Point")) == {"x": "float", "y": "float = 0.0"}
    assert {m.name: m.doc for m in a.comp("Point").members}["y"] == "The vertical coordinate."
    assert members(a.comp("Pair")) == {"left": "int", "right": "int"}
    assert members(a.comp("Colour"), "variant") == {"RED": "1", "GREEN": "2"}
    # Attributes set in `__init__`, documented by `#:` comments (Sphinx's convention); a
    # class-level annotation takes the doc of the assignment in `__init__`.
    canvas = {m.name: (m.kind, m.type, m.doc) for m in a.comp("Canvas").members}
    assert canvas == {
        "width": ("field", "int", "Pixels across; set once."),
        "shapes": ("attribute", "", "What has been drawn so far."),
    }
    area = a.comp("area")
    assert area.doc == "Area of a shape."  # the implementation's, not a stub's
    assert area.signature == "def area(shape)"
    assert [m.type for m in area.overloads] == [
        "@overload\ndef area(shape: Point) -> float",
        "@overload\ndef area(shape: Pair) -> int",
    ]
    assert len([c for c in a.by_id.values() if c.qualname == "area"]) == 1
    reexports = {(r.name, r.source, r.original) for r in a.files["geo/__init__.py"].reexports}
    assert reexports == {
        ("Point", ".shapes", ""),
        ("area", ".shapes", ""),
        ("Ordered", "collections", "OrderedDict"),
    }
    resolved = {r.name: r.resolved for r in a.files["geo/__init__.py"].reexports}
    assert resolved["Point"] == a.comp("Point").id
    assert resolved["Ordered"] == ""

    site = build_site(API / "py")
    page = page_with(site, "### area")
    area_section = section(page, "### area")
    assert "Area of a shape." in area_section
    assert "Stub text" not in area_section
    assert "- `@overload def area(shape: Pair) -> int`" in area_section
    assert "| `y` | `float = 0.0` | The vertical coordinate. |" in page
    # A stub file has no implementation: the first stub stands for the others.
    scale = section(page_with(site, "### scale"), "### scale")
    assert "@overload\ndef scale(value: int) -> int" in scale
    assert "**Also declared as (one more overload):**" in scale
    assert "- `@overload def scale(value: float) -> float`" in scale
    reexport_page = page_with(site, "## Re-exports")
    assert "| `Ordered` | `collections` (as `OrderedDict`) |" in reexport_page
    assert "[Point](" in reexport_page.split("## Re-exports", 1)[1]
    # The defining page says where else the name can be imported from.
    point = section(page_with(site, "### Point"), "### Point")
    assert "**Re-exported as:** `Point` in [geo/\\_\\_init\\_\\_.py](geo.md)" in point


def test_rust_enum_variants_public_fields_and_pub_use(build_site) -> None:
    a = analyse(API / "rust")
    colour = a.comp("Colour")
    assert members(colour, "variant") == {
        "Red": "",
        "Rgb": "(u8, u8, u8)",
        "Named": "{ name: String }",
    }
    assert {m.name: m.doc for m in colour.members}["Red"] == "Pure red."
    assert members(a.comp("Point")) == {"x": "f64", "y": "f64"}  # `cache` is private
    draw = {m.name: (m.kind, m.type, m.doc) for m in a.comp("Draw").members}
    assert draw == {
        "Output": ("associated type", "Clone", "What drawing produces."),
        "LAYERS": ("constant", "usize", ""),
    }
    reexports = {(r.name, r.source, r.original) for r in a.files["src/lib.rs"].reexports}
    assert reexports == {
        ("Serialize", "serde", ""),
        ("Circle", "crate::shapes", ""),
        ("Box", "crate::shapes", "Square"),
    }
    page = page_with(build_site(API / "rust"), "### Colour")
    assert "**Variants:**" in section(page, "### Colour")
    assert "| `Rgb` | `(u8, u8, u8)` |" in page
    assert "| `Serialize` | `serde` |" in page


def test_csharp_kotlin_and_c_members() -> None:
    cs = analyse(API / "csharp")
    assert members(cs.comp("Circle")) == {
        "Radius": "double { get; set; }",
        "Sides": "const int",
    }
    assert len(cs.comp("Circle.Scale").overloads) == 1
    kt = analyse(API / "kotlin")
    assert members(kt.comp("Point")) == {"x": "val Int", "y": "var Int", "size": "val Int = 1"}
    c = analyse(API / "c")
    point = c.comp("point")
    assert members(point) == {
        "x": "int",
        "y": "int",
        "label": "char *",
        "name": "char[16]",
        "draw": "int (*draw)(struct point *p)",
    }
    assert {m.name: m.doc for m in point.members}["x"] == "Horizontal position."


def test_php_and_ruby_properties_constants_and_attributes() -> None:
    php = analyse(API / "php")
    app = {m.name: (m.kind, m.type) for m in php.comp("App").members}
    assert app == {
        "$container": ("property", "?Container"),
        "VERSION": ("constant", "= '4.0'"),
        "$basePath": ("property", "string"),  # a promoted constructor parameter
    }
    assert members(php.comp("Suit"), "variant") == {"Hearts": "'H'", "Spades": "'S'"}
    ruby = analyse(API / "ruby")
    base = {m.name: (m.type, m.doc) for m in ruby.comp("Base").members}
    assert base == {
        "request": ("read/write", "The current request."),
        "params": ("read-only", ""),
        "VERSION": ("= '2.0'", ""),
    }  # `attr_writer :secret` follows `private`
    assert "json" in ruby.files["base.rb"].imports


def test_module_level_constants_and_variables(build_site) -> None:
    go = analyse(API / "go")
    assert {v.name: (v.kind, v.type, v.doc) for v in go.files["store/store.go"].variables} == {
        "DefaultLimit": ("constant", "= 20", "DefaultLimit is how many items a page shows."),
        "ModeFast": ("constant", '= "fast"', "ModeFast skips checks."),
        "ErrMissing": (
            "variable",
            '= errors.New("missing")',
            "ErrMissing is returned for an unknown id.",
        ),
    }
    rust = analyse(API / "rust").files["src/lib.rs"].variables
    assert [(v.name, v.type, v.doc) for v in rust] == [
        ("MAX_RADIUS", "f64 = 100.0", "The largest radius drawn.")
    ]
    ts = analyse(API / "ts").files["src/options.ts"].variables
    assert [(v.name, v.type, v.doc) for v in ts] == [("VERSION", '= "1.0"', "The library version.")]
    py = analyse(API / "py").files["geo/shapes.py"].variables
    assert [(v.name, v.type, v.doc) for v in py] == [
        ("TOLERANCE", "= 1e-9", "Points closer than this are equal.")
    ]

    page = page_with(build_site(API / "go"), "## Constants and variables")
    table = page.split("## Constants and variables", 1)[1]
    assert "| `DefaultLimit` | `= 20` | `store.go:33` | DefaultLimit is how many items" in table
    assert "modeSlow" not in table
