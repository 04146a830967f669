"""Per-language fixture repositories: components, doc comments and dependencies by name."""

from __future__ import annotations

import pytest

from .conftest import FIXTURES, analyse


def kinds(analysis, expected: dict[str, str]) -> None:
    for qualname, kind in expected.items():
        assert analysis.comp(qualname).kind == kind, qualname


def test_python_components_docstrings_and_references() -> None:
    a = analyse(FIXTURES / "python")
    kinds(
        a,
        {
            "Product": "class",
            "Product.discounted": "method",
            "DigitalProduct": "class",
            "Cart": "class",
            "Cart.add": "method",
            "checkout": "function",
            "main": "function",
        },
    )
    assert a.comp("Product").doc == "A thing you can buy."
    assert a.comp("Cart.add").doc == "Add a product to the cart."
    assert a.comp("checkout").signature == "def checkout(cart: Cart) -> float"
    assert a.comp("Product.discounted").signature == (
        "def discounted(self, percent: float) -> float"
    )
    assert (a.comp("Cart").start_line, a.comp("Cart").end_line) == (5, 16)
    assert a.base_names("DigitalProduct") == {"Product"}
    assert "Product" in a.ref_names("Cart.add")  # type annotation via `from .models import`
    assert "Cart" in a.ref_names("checkout")
    assert {"checkout", "Cart"} <= a.ref_names("main")
    assert "shop/models.py" in a.file_deps["shop/cart.py"]
    assert a.files["shop/cart.py"].has_main_guard
    assert a.files["shop/__init__.py"].module_doc.startswith("The shop package")


def test_javascript() -> None:
    a = analyse(FIXTURES / "javascript")
    kinds(
        a,
        {
            "Shape": "class",
            "Shape.area": "method",
            "Circle": "class",
            "makeCircle": "function",
            "double": "function",
            "helper": "function",
        },
    )
    assert a.comp("Shape").doc == "A shape with an area."
    assert a.comp("Shape.area").doc == "Compute the area."
    assert a.comp("makeCircle").doc == "Build a circle."
    assert a.base_names("Circle") == {"Shape"}
    assert "Circle" in a.ref_names("makeCircle")
    assert "helper" in a.ref_names("Shape.area")
    assert "util.js" in a.file_deps["shapes.js"]


def test_typescript_and_tsx() -> None:
    a = analyse(FIXTURES / "typescript")
    kinds(
        a,
        {
            "Greeter": "interface",
            "Colour": "enum",
            "User": "class",
            "User.greet": "method",
            "UserId": "type",
            "createUser": "function",
            "Base": "class",
            "UserView": "function",
        },
    )
    assert a.comp("User").doc == "A user of the system."
    assert a.comp("UserView").doc == "Renders a user."
    assert a.base_names("User") == {"Base", "Greeter"}
    assert "User" in a.ref_names("createUser")
    assert "User" in a.ref_names("UserView")
    assert "base.ts" in a.file_deps["models.ts"]
    assert "models.ts" in a.file_deps["view.tsx"]
    assert a.files["view.tsx"].language == "tsx"


def test_java() -> None:
    a = analyse(FIXTURES / "java")
    kinds(
        a,
        {
            "Animal": "interface",
            "Animal.speak": "method",
            "Dog": "class",
            "Dog.speak": "method",
            "Dog.main": "method",
            "Breed": "enum",
        },
    )
    assert a.comp("Dog").doc == "A dog is an animal."
    assert a.comp("Dog.speak").doc == "Bark."  # the annotation sits between comment and name
    assert a.comp("Breed").doc == "Kinds of dog."
    assert a.base_names("Dog") == {"Animal"}
    assert "Dog" in a.ref_names("Dog.main") or "Dog.speak" in a.ref_names("Dog.main")
    assert "com/example/Animal.java" in a.file_deps["com/example/Dog.java"]


def test_go() -> None:
    a = analyse(FIXTURES / "go")
    kinds(
        a,
        {
            "Store": "struct",
            "Getter": "interface",
            "Store.Get": "method",
            "NewStore": "function",
            "main": "function",
        },
    )
    assert a.comp("Store").doc == "Store keeps items."
    assert a.comp("Store.Get").doc == "Get returns the value for key."
    assert a.comp("Store.Get").signature == "func (s *Store) Get(key string) string"
    assert a.comp("Store.Get").parent == a.comp("Store").id
    assert {"NewStore"} <= a.ref_names("main")
    assert "Store" in a.ref_names("NewStore")
    assert "store/store.go" in a.file_deps["main.go"]


def test_rust() -> None:
    a = analyse(FIXTURES / "rust")
    kinds(
        a,
        {
            "Area": "trait",
            "Area.area": "method",
            "Square": "struct",
            "Square.area": "method",
            "Kind": "enum",
            "unit": "function",
            "Point": "struct",
        },
    )
    assert a.comp("Square").doc == "A square."  # #[derive] between doc comment and item
    assert a.comp("Area").doc == "A thing with an area."
    assert a.comp("Point").doc == "A point in the plane."
    assert a.base_names("Square") == {"Area"}  # from `impl Area for Square`
    assert "Point" in a.ref_names("Square")
    assert "Square" in a.ref_names("unit")
    assert "src/geometry.rs" in a.file_deps["src/lib.rs"]


def test_c() -> None:
    a = analyse(FIXTURES / "c")
    assert a.comp("node").kind == "struct"
    assert a.comp("node").doc == "A linked list node."
    pushes = [c for c in a.by_id.values() if c.name == "list_push"]
    assert {c.file for c in pushes} == {"list.c", "list.h"}
    impl = next(c for c in pushes if c.file == "list.c")
    assert impl.doc == "Push a value onto the list."
    assert impl.signature == "struct node *list_push(struct node *head, int value)"
    assert "node" in {a.by_id[r].name for r in impl.refs}
    assert "list_push" in a.ref_names("main")
    assert "list.h" in a.file_deps["list.c"]


def test_cpp() -> None:
    a = analyse(FIXTURES / "cpp")
    assert a.comp("Widget").kind == "class"
    assert a.comp("Widget").doc == "A base widget."
    assert a.comp("Button").doc == "A button widget."
    assert a.base_names("Button") == {"Widget"}
    methods = {c.qualname for c in a.by_id.values() if c.kind == "method"}
    assert {"Widget.draw", "Button.draw"} <= methods
    assert a.comp("make_button").doc == "Make a button."
    assert "Button" in a.ref_names("make_button")
    assert "widget.hpp" in a.file_deps["widget.cpp"]


def test_csharp() -> None:
    a = analyse(FIXTURES / "csharp")
    kinds(
        a,
        {
            "IHolder": "interface",
            "Account": "class",
            "Account.Deposit": "method",
            "Kind": "enum",
            "Money": "struct",
        },
    )
    assert a.comp("Account").doc == "A bank account."  # <summary> tags removed
    assert a.comp("Account.Deposit").doc == "Deposit money."
    assert a.base_names("Account") == {"IHolder"}


def test_ruby() -> None:
    a = analyse(FIXTURES / "ruby")
    kinds(
        a,
        {
            "Greeting": "module",
            "Greeting.Greeter": "class",
            "Greeting.Greeter.hello": "method",
            "helper": "function",
            "Base": "class",
        },
    )
    assert a.comp("Greeting").doc == "Greets people."
    assert a.comp("Greeting.Greeter").doc == "A greeter."
    assert a.comp("Greeting.Greeter.hello").doc == "Say hello."
    assert a.base_names("Greeting.Greeter") == {"Base"}
    assert "Greeting.Greeter" in a.ref_names("helper")
    assert "base.rb" in a.file_deps["greeter.rb"]


def test_php() -> None:
    a = analyse(FIXTURES / "php")
    kinds(
        a,
        {
            "User": "class",
            "User.getName": "method",
            "HasName": "interface",
            "greet": "function",
            "Model": "class",
        },
    )
    assert a.comp("User").doc == "A user."
    assert a.comp("User.getName").doc == "Get the name."
    assert a.base_names("User") == {"Model", "HasName"}
    assert "User" in a.ref_names("greet")
    assert "Model.php" in a.file_deps["User.php"]


def test_kotlin() -> None:
    a = analyse(FIXTURES / "kotlin")
    kinds(
        a,
        {
            "Shape": "interface",
            "Shape.area": "method",
            "Circle": "class",
            "Circle.area": "method",
            "Registry": "object",
            "Registry.all": "method",
            "main": "function",
        },
    )
    assert a.comp("Circle").doc == "A circle."
    assert a.comp("Shape.area").doc == "The area."
    assert a.base_names("Circle") == {"Shape"}
    assert {"Circle", "Shape"} <= a.ref_names("Registry.all")
    assert "Registry" in a.ref_names("main")


@pytest.mark.parametrize(
    ("language", "page_text"),
    [
        ("python", "A thing you can buy."),
        ("javascript", "A shape with an area."),
        ("typescript", "A user of the system."),
        ("java", "A dog is an animal."),
        ("go", "Store keeps items."),
        ("rust", "A point in the plane."),
        ("c", "A linked list node."),
        ("cpp", "A button widget."),
        ("csharp", "A bank account."),
        ("ruby", "A greeter."),
        ("php", "Things with names."),
        ("kotlin", "Singleton registry."),
    ],
)
def test_every_language_reaches_the_pages(build_site, language: str, page_text: str) -> None:
    site = build_site(FIXTURES / language, repo_name=f"example/{language}")
    pages = "\n".join(site.text(p) for p in site.pages() if p != "overview.md")
    assert page_text in pages
    assert site.result.component_count > 0


def test_python_enums_protocols_and_lazy_imports(tmp_path) -> None:
    from tests.support.gitserve import write_files

    repo = write_files(
        tmp_path / "py",
        {
            "app/kinds.py": (
                "import enum\nfrom typing import Protocol\n\n\n"
                "class Colour(enum.Enum):\n    RED = 1\n\n\n"
                "class Drawable(Protocol):\n    def draw(self) -> None: ...\n"
            ),
            "app/lazy.py": (
                "def paint():\n"
                "    '''Import late to avoid a cycle.'''\n"
                "    from app.kinds import Colour\n"
                "    return Colour.RED\n"
            ),
        },
    )
    a = analyse(repo)
    assert a.comp("Colour").kind == "enum"
    assert a.comp("Drawable").kind == "interface"
    assert a.comp("Drawable.draw").kind == "method"
    assert a.comp("paint").doc == "Import late to avoid a cycle."
    assert "Colour" in a.ref_names("paint")
    assert "app/kinds.py" in a.file_deps["app/lazy.py"]


def test_cpp_header_with_h_extension_and_js_destructuring(tmp_path) -> None:
    from tests.support.gitserve import write_files

    repo = write_files(
        tmp_path / "mixed",
        {
            "thing.h": (
                "#pragma once\n/// A thing.\nclass Thing {\npublic:\n"
                "  /// Run it.\n  void run();\n};\n"
            ),
            "plain.h": "/* Add. */\nint add(int a, int b);\n",
            "x.js": "const {a, b} = () => 1;\n/** Fine. */\nconst ok = () => 2;\n",
        },
    )
    a = analyse(repo)
    assert a.files["thing.h"].language == "cpp"
    assert a.files["plain.h"].language == "c"
    assert a.comp("Thing").kind == "class" and a.comp("Thing.run").doc == "Run it."
    assert a.comp("add").doc == "Add."
    assert a.comp("ok").doc == "Fine."
    assert not [c for c in a.by_id.values() if "{" in c.name]


def test_file_level_doc_comments(tmp_path) -> None:
    from tests.support.gitserve import write_files

    repo = write_files(
        tmp_path / "docs",
        {
            "lib.rs": "//! The crate.\n//! Second line.\n/// A unit.\npub struct Unit;\n",
            "store/store.go": (
                "// Package store keeps items.\npackage store\n\n// Get gets.\nfunc Get() {}\n"
            ),
        },
    )
    a = analyse(repo)
    assert a.files["lib.rs"].module_doc == "The crate.\nSecond line."
    assert a.comp("Unit").doc == "A unit."
    assert a.files["store/store.go"].module_doc == "Package store keeps items."
    assert a.comp("Get").doc == "Get gets."


def test_multi_line_doc_comments_keep_their_lines(tmp_path) -> None:
    from tests.support.gitserve import write_files

    repo = write_files(
        tmp_path / "multi",
        {
            "a.rs": "/// First.\n/// Second.\npub fn f() {}\n",
            "b.go": "package b\n\n// First.\n// Second.\nfunc G() {}\n",
            "c.java": "/**\n * First.\n * Second.\n */\nclass C {}\n",
            "d.rb": "# First.\n# Second.\ndef r\nend\n",
            "e.cs": "/// <summary>\n/// First.\n/// Second.\n/// </summary>\nclass S {}\n",
            "f.kt": "/**\n * First.\n * Second.\n */\nfun k() {}\n",
            "g.php": "<?php\n/**\n * First.\n * Second.\n */\nfunction p() {}\n",
            "h.h": "// First.\n// Second.\nint cf(void);\n",
            "i.ts": "/**\n * First.\n * Second.\n */\nexport function t(): void {}\n",
        },
    )
    a = analyse(repo)
    for name in ("f", "G", "C", "r", "S", "k", "p", "cf", "t"):
        assert a.comp(name).doc == "First.\nSecond.", name
