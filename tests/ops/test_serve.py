"""``make serve``: collected static files and gunicorn, answering as in production."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_DIR, subprocess_env, wait_for
from tests.support.gitserve import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def test_make_serve_runs_gunicorn_with_hashed_static_files(
    settings: Any, output_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}", "WEB_PROCESSES=2"],
        cwd=BASE_DIR,
        env=subprocess_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # make, its shell and gunicorn share one process group
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get(f"{base}/livez")[0] == 200, timeout=120, what="gunicorn")
        status, body = get(f"{base}/readyz")
        assert status == 503 and b"no live worker" in body
        status, page = get(f"{base}/")
        assert status == 200
        css = re.search(rb'href="(/static/css/codewiki\.[0-9a-f]{12}\.css)"', page)
        assert css, "static files are served under hashed names"
        assert get(base + css[1].decode())[0] == 200
        assert (output_dir / "staticfiles" / "staticfiles.json").is_file()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    assert "Booting worker" in (tmp_path / "serve.log").read_text()


def test_make_worker_never_migrates() -> None:
    # README: migrate once per release from one machine. Worker machines started together
    # must not race each other (and the release) applying migrations.
    plan = subprocess.run(
        ["make", "--no-print-directory", "-n", "worker"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "runworker" in plan
    assert "migrate" not in plan
