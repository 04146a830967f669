"""Which files are production code, and which are tests, examples, benchmarks or tooling."""

from __future__ import annotations

import pytest

from jobs.docgen.classify import FileRole, assign_roles, classify_path
from jobs.docgen.model import Component, FileInfo

P, T, E, B, D = (
    FileRole.PRODUCTION,
    FileRole.TEST,
    FileRole.EXAMPLE,
    FileRole.BENCHMARK,
    FileRole.DOCS_TOOLING,
)


@pytest.mark.parametrize(
    ("path", "language", "role"),
    [
        # Python
        ("src/flask/app.py", "python", P),
        ("src/flask/testing.py", "python", P),
        ("django/core/management/commands/test.py", "python", P),
        ("tests/test_app.py", "python", T),
        ("pkg/test_utils.py", "python", T),
        ("pkg/utils_test.py", "python", T),
        ("conftest.py", "python", T),
        ("app/tests.py", "python", T),
        ("examples/tutorial/flaskr/db.py", "python", E),
        ("examples/tutorial/tests/test_db.py", "python", T),
        ("benchmarks/bench_parse.py", "python", B),
        ("bench_parse.py", "python", B),
        ("docs/conf.py", "python", D),
        ("setup.py", "python", D),
        ("scripts/release.py", "python", D),
        # Go
        ("context.go", "go", P),
        ("context_test.go", "go", T),
        ("testdata/protoexample/test.go", "go", T),
        ("_examples/basic/main.go", "go", E),
        ("doc/md_docs.go", "go", P),  # cobra's `doc` package generates documentation
        # Java and Kotlin
        ("gson/src/main/java/com/google/gson/Gson.java", "java", P),
        ("gson/src/test/java/com/google/gson/GsonTest.java", "java", T),
        ("gson/src/test/java/com/google/gson/PrimitiveTypeAdapter.java", "java", T),
        ("src/main/java/com/acme/TestHarness.java", "java", T),
        ("src/main/java/com/acme/ParserIT.java", "java", T),
        ("metrics/src/main/java/com/acme/ParseBenchmark.java", "java", B),
        ("okio/src/commonMain/kotlin/okio/Buffer.kt", "kotlin", P),
        ("okio/src/jvmTest/kotlin/okio/BufferTest.kt", "kotlin", T),
        ("okio/src/commonTest/kotlin/okio/Helpers.kt", "kotlin", T),
        ("samples/src/jvmMain/kotlin/okio/samples/TeeSink.kt", "kotlin", E),
        ("okio/jvm/jmh/src/jmh/java/Bench.java", "java", B),
        ("okio-wasifilesystem/build.gradle.kts", "kotlin", D),
        # JavaScript and TypeScript
        ("lib/application.js", "javascript", P),
        ("test/app.router.js", "javascript", T),
        ("src/__tests__/parse.ts", "typescript", T),
        ("src/parse.spec.ts", "typescript", T),
        ("src/parse.test.js", "javascript", T),
        ("src/button.test.tsx", "tsx", T),
        ("spec/router.js", "javascript", T),
        ("examples/mvc/index.js", "javascript", E),
        ("packages/bench/object.ts", "typescript", B),
        ("vite.config.ts", "typescript", D),
        ("packages/docs-v3/app/page.tsx", "tsx", D),
        # Ruby, PHP, C#
        ("lib/sinatra/base.rb", "ruby", P),
        ("spec/cookies_spec.rb", "ruby", T),
        ("sinatra-contrib/spec/helper.rb", "ruby", T),
        ("test/base_test.rb", "ruby", T),
        ("Slim/App.php", "php", P),
        ("tests/AppTest.php", "php", T),
        ("Src/Newtonsoft.Json/JsonReader.cs", "csharp", P),
        ("Src/Newtonsoft.Json.Tests/Linq/JObjectTests.cs", "csharp", T),
        ("Src/Newtonsoft.Json.Tests/TestObjects/Person.cs", "csharp", T),
        ("Src/Perf.Benchmarks/Program.cs", "csharp", B),
        # Rust, C, C++
        ("serde/src/de/mod.rs", "rust", P),
        ("test_suite/tests/test_de.rs", "rust", T),
        ("src/de/tests.rs", "rust", T),
        ("benches/parse.rs", "rust", B),
        ("examples/json.rs", "rust", E),
        ("serde/build.rs", "rust", D),
        ("src/jv.c", "c", P),
        ("src/jq_test.c", "c", T),
        ("test/format-test.cc", "cpp", T),
        ("spec/grammar.c", "c", P),  # `spec/` holds tests only where RSpec-like tools do
    ],
)
def test_classify_path(path: str, language: str, role: FileRole) -> None:
    assert classify_path(path, language) is role


def test_roles_are_stored_on_files_and_components() -> None:
    def info(path: str) -> FileInfo:
        record = FileInfo(path=path, language="python")
        record.components.append(
            Component(id=f"{path}::f", name="f", qualname="f", kind="function", file=path,
                      start_line=1, end_line=1)
        )  # fmt: skip
        return record

    files = [info("pkg/core.py"), info("tests/test_core.py")]
    assign_roles(files)
    assert [f.role for f in files] == ["production", "test"]
    assert [f.components[0].role for f in files] == ["production", "test"]


def test_a_repository_without_production_code_is_documented_as_production() -> None:
    files = [
        FileInfo(path="examples/a.py", language="python"),
        FileInfo(path="tests/b.py", language="python"),
    ]
    assign_roles(files)
    assert {f.role for f in files} == {"production"}


def test_test_support_shipped_with_the_package_is_production(tmp_path) -> None:
    from tests.support.gitserve import write_files

    from .conftest import analyse

    repo = write_files(
        tmp_path / "web",
        {
            "web/__init__.py": "",
            "web/runner.py": "from web.test.utils import get_runner\n\n\n"
            "def run():\n    return get_runner()\n",
            "web/test/__init__.py": "",
            "web/test/utils.py": "from web.test.client import Client\n\n\n"
            "def get_runner():\n    return Client\n",
            "web/test/client.py": "class Client:\n    pass\n",
            "web/test/test_client.py": "from web.test.client import Client\n\n\n"
            "def test_client():\n    Client()\n",
            "tests/helpers.py": "def helper():\n    pass\n",
        },
    )
    analysis = analyse(repo)
    roles = {path: info.role for path, info in analysis.files.items()}
    assert roles["web/test/utils.py"] == "production"
    assert roles["web/test/client.py"] == "production"  # imported by a promoted file
    assert roles["web/test/test_client.py"] == "test"  # a test by its name stays one
    assert roles["tests/helpers.py"] == "test"
    assert analysis.ref_names("run") == {"get_runner"}
