"""References come from code, never from comments or string literals (issue 7, point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gitserve import write_files

from .conftest import analyse

# Per language: files, the component that mentions `Command` only in a comment and a
# string, and the component it really uses (so the test cannot pass by finding nothing).
CASES: dict[str, tuple[dict[str, str], str, str]] = {
    "python": (
        {
            "app/cli.py": (
                "class Command:\n    pass\n\n\nclass Helper:\n    pass\n\n\n"
                "def open_url(url):\n"
                "    # Command not found: fall back to the browser\n"
                '    print("Command failed", \'Command\', """Command""")\n'
                "    return Helper()\n"
            )
        },
        "open_url",
        "Helper",
    ),
    "go": (
        {
            "cli.go": (
                "package cli\n\ntype Command struct{}\n\ntype Helper struct{}\n\n"
                "func OpenURL(url string) *Helper {\n"
                "\t// Command not found: fall back to the browser\n"
                '\tprintln("Command failed", `Command`)\n'
                "\treturn &Helper{}\n}\n"
            )
        },
        "OpenURL",
        "Helper",
    ),
    "java": (
        {
            "src/main/java/app/Cli.java": (
                "package app;\n\nclass Command {}\n\nclass Helper {}\n\n"
                "public class Cli {\n"
                "  /** Opens a URL. */\n"
                "  public Helper openUrl(String url) {\n"
                "    // Command not found: fall back to the browser\n"
                '    System.out.println("Command failed"); /* Command */\n'
                "    return new Helper();\n  }\n}\n"
            )
        },
        "Cli.openUrl",
        "Helper",
    ),
    "javascript": (
        {
            "lib/cli.js": (
                "class Command {}\n\nclass Helper {}\n\n"
                "function openUrl(url) {\n"
                "  // Command not found: fall back to the browser\n"
                "  console.log('Command failed', \"Command\", `Command`); /* Command */\n"
                "  return new Helper();\n}\n"
            )
        },
        "openUrl",
        "Helper",
    ),
    "typescript": (
        {
            "src/cli.ts": (
                "export class Command {}\n\nexport class Helper {}\n\n"
                "export function openUrl(url: string): Helper {\n"
                "  // Command not found: fall back to the browser\n"
                "  console.log('Command failed');\n"
                "  return new Helper();\n}\n"
            )
        },
        "openUrl",
        "Helper",
    ),
    "rust": (
        {
            "src/lib.rs": (
                "pub struct Command;\n\npub struct Helper;\n\n"
                "pub fn open_url<'a>(url: &'a str) -> Helper {\n"
                "    // Command not found: fall back to the browser\n"
                '    println!("Command failed");\n'
                "    Helper\n}\n"
            )
        },
        "open_url",
        "Helper",
    ),
    "ruby": (
        {
            "lib/cli.rb": (
                "class Command\nend\n\nclass Helper\nend\n\n"
                "class Cli\n  def open_url(url)\n"
                "    # Command not found: fall back to the browser\n"
                "    puts 'Command failed'\n"
                "    Helper.new\n  end\nend\n"
            )
        },
        "Cli.open_url",
        "Helper",
    ),
    "csharp": (
        {
            "Cli.cs": (
                "class Command {}\nclass Helper {}\n"
                "class Cli {\n  public Helper OpenUrl(string url) {\n"
                "    // Command not found: fall back to the browser\n"
                '    System.Console.WriteLine(@"Command ""failed""");\n'
                "    return new Helper();\n  }\n}\n"
            )
        },
        "Cli.OpenUrl",
        "Helper",
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_comment_or_string_mention_is_no_dependency(tmp_path: Path, language: str) -> None:
    files, user, used = CASES[language]
    analysis = analyse(write_files(tmp_path / language, files))
    refs = analysis.ref_names(user)
    assert used in refs, refs
    assert "Command" not in refs, refs
    assert not analysis.comp("Command").refs


def test_production_code_never_uses_a_test_module(tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "repo",
        {
            "app/core.py": "from tests.helpers import make_user\n\n\n"
            "def handler():\n    return make_user()\n",
            "tests/helpers.py": "def make_user():\n    return 1\n",
            "tests/test_core.py": "from app.core import handler\n\n\n"
            "def test_handler():\n    assert handler()\n",
        },
    )
    analysis = analyse(repo)
    assert analysis.ref_names("handler") == set()
    assert analysis.file_deps["app/core.py"] == set()
    # The other way round is how tests work: they use production code.
    assert analysis.ref_names("test_handler") == {"handler"}


# zod exports functions named like TypeScript's primitive types (`z.boolean()`).
_TYPE_WORD_LIBRARY = (
    "export function boolean() {\n  return 1;\n}\n\n"
    "export function unknown() {\n  return 2;\n}\n\n"
    "export function bigint() {\n  return 3;\n}\n\n"
    "export function undefined() {\n  return 4;\n}\n\n"
    "export function never() {\n  return 5;\n}\n"
)
_TYPE_WORD_USER = (
    'import { boolean, unknown, bigint, undefined, never } from "./schemas";\n\n'
    "/** Annotated only with type keywords. */\n"
    "export function f(x: boolean, y: bigint | undefined | null): unknown {\n"
    "  const z: Array<never> = [];\n  return x as unknown;\n}\n\n"
    "/** Calls one of the functions. */\n"
    "export function g(x: boolean): never {\n  return boolean();\n}\n"
)


@pytest.mark.parametrize("suffix", ["ts", "tsx"])
def test_a_type_keyword_in_type_position_is_no_dependency(tmp_path: Path, suffix: str) -> None:
    repo = write_files(
        tmp_path / "types",
        {f"src/schemas.{suffix}": _TYPE_WORD_LIBRARY, f"src/use.{suffix}": _TYPE_WORD_USER},
    )
    analysis = analyse(repo)
    assert analysis.ref_names("f") == set()
    # A real call to the function named `boolean` still is a use of it.
    assert analysis.ref_names("g") == {"boolean"}


def test_type_keywords_make_no_uses_links_on_the_page(build_site, tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "types",
        {"src/schemas.ts": _TYPE_WORD_LIBRARY, "src/use.ts": _TYPE_WORD_USER},
    )
    page = build_site(repo).text("src.md")
    f_section = page.split("### f\n", 1)[1].split("\n### ", 1)[0]
    g_section = page.split("### g\n", 1)[1].split("\n### ", 1)[0]
    assert "**Uses:**" not in f_section
    assert "**Uses:** [boolean](" in g_section
    assert "unknown](" not in g_section and "never](" not in g_section


def test_typescript_import_of_the_compiled_js_name_resolves(tmp_path: Path) -> None:
    # ES-module TypeScript (zod, most libraries since TS 4.7) imports `./util.js` for util.ts.
    repo = write_files(
        tmp_path / "esm",
        {
            "src/internal/util.ts": "export function helper(): number {\n  return 1;\n}\n",
            "src/classic/a.ts": 'import { helper } from "../internal/util.js";\n'
            "export function aa(): number {\n  return helper();\n}\n",
        },
    )
    analysis = analyse(repo)
    assert analysis.ref_names("aa") == {"helper"}
    assert analysis.file_deps["src/classic/a.ts"] == {"src/internal/util.ts"}


def test_typescript_string_function_is_a_name_but_the_string_type_is_not(tmp_path: Path) -> None:
    # zod's `z.string()`: a word that is noise in most languages is a real API here.
    repo = write_files(
        tmp_path / "zed",
        {
            "src/schemas.ts": "export function string(): object {\n  return {};\n}\n\n"
            "export function number(): object {\n  return {};\n}\n",
            "src/user.ts": 'import { string, number } from "./schemas";\n\n'
            "export function schema(): object[] {\n  return [string(), number()];\n}\n\n"
            "export function label(x: string, n: number): string {\n  return x + n;\n}\n",
        },
    )
    analysis = analyse(repo)
    assert analysis.ref_names("schema") == {"string", "number"}
    assert analysis.ref_names("label") == set()
