"""The Mermaid bundle: the reviewed file, served locally under a stable name."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from jobs.staticfinders import (
    MERMAID_SHA256,
    MERMAID_VERSION,
    STATIC_PATH,
    MermaidFinder,
    mermaid_bundle_path,
)


def bundle() -> bytes:
    path = mermaid_bundle_path()
    assert path is not None, "mermaidx is not installed"
    return path.read_bytes()


def test_mermaid_bundle_checksum_is_the_reviewed_one() -> None:
    # If this fails, mermaidx shipped a different mermaid.js: review it, then
    # update MERMAID_SHA256/MERMAID_VERSION in jobs/staticfinders.py.
    assert hashlib.sha256(bundle()).hexdigest() == MERMAID_SHA256


def test_mermaid_bundle_is_the_browser_global_build() -> None:
    data = bundle()
    # The official IIFE build defines the global ``mermaid`` on its last line.
    assert data.rstrip().endswith(
        b'globalThis["mermaid"] = globalThis.__esbuild_esm_mermaid_nm["mermaid"].default;'
    )
    assert f'version:"{MERMAID_VERSION}"'.encode() in data


def test_finder_finds_and_lists_the_bundle() -> None:
    found = finders.find(STATIC_PATH)
    assert found and Path(found) == mermaid_bundle_path()
    assert finders.find("vendor/other.js") is None
    listed = list(MermaidFinder().list([]))
    assert [(name, storage.prefix) for name, storage in listed] == [("mermaid.min.js", "vendor")]
    assert MermaidFinder().check() == []


def test_collectstatic_copies_the_bundle(settings: object, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "static"  # type: ignore[attr-defined]
    call_command("collectstatic", interactive=False, verbosity=0)
    copied = tmp_path / "static" / "vendor" / "mermaid.min.js"
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == MERMAID_SHA256


@pytest.mark.parametrize(
    ("url", "type_"),
    [
        ("/static/vendor/mermaid.min.js", "javascript"),
        ("/static/js/docs.js", "javascript"),
        ("/static/css/docs.css", "text/css"),
    ],
)
def test_assets_are_served(client: Client, url: str, type_: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert type_ in response["Content-Type"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    if url.endswith("mermaid.min.js"):
        assert hashlib.sha256(body).hexdigest() == MERMAID_SHA256


def test_docs_js_initialises_mermaid_strictly() -> None:
    text = (Path(__file__).resolve().parents[2] / "static" / "js" / "docs.js").read_text()
    assert 'securityLevel: "strict"' in text
    assert "startOnLoad: true" in text
