"""The output writer, writing in place and through its writing process: what lands, and failures."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import time
from pathlib import Path

import pytest

from jobs.docgen import GenerationOptions, generate_docs, pipeline, write_files
from jobs.docgen.writer import OutputWriter

from .test_incremental import comparable

FIXTURES = Path(__file__).parent / "fixtures" / "python"

MODES = [pytest.param(True, id="process"), pytest.param(False, id="inline")]


@pytest.mark.parametrize("process", MODES)
def test_every_file_lands_whole_and_in_order(tmp_path: Path, process: bool) -> None:
    out = tmp_path / "out"
    writer = OutputWriter(out, process=process)
    pages = {f"page-{i}.md": f"# Page {i} ✓\n" + "x" * (i * 9_000) for i in range(60)}
    for name, text in pages.items():
        writer.write_text(name, text)
    writer.write_json("metadata.json", {"pages": len(pages)})
    writer.close()
    assert writer.files_generated == [*pages, "metadata.json"]
    for name, text in pages.items():
        assert (out / name).read_text(encoding="utf-8") == text
    assert json.loads((out / "metadata.json").read_text()) == {"pages": 60}
    # metadata.json is written last: a reader that sees it sees every page.
    mtimes = [(out / name).stat().st_mtime_ns for name in writer.files_generated]
    assert mtimes[-1] == max(mtimes)


@pytest.mark.parametrize("process", MODES)
def test_a_link_at_a_name_is_replaced_not_written_through(tmp_path: Path, process: bool) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    os.symlink(victim, out / "overview.md")
    writer = OutputWriter(out, process=process)
    writer.write_text("overview.md", "# Overview\n")
    writer.close()
    assert victim.read_text() == "untouched"
    assert not (out / "overview.md").is_symlink()
    assert (out / "overview.md").read_text() == "# Overview\n"


@pytest.mark.parametrize("process", MODES)
@pytest.mark.parametrize("name", ["../escape.md", ".hidden.md", "a/b.md", "Upper.md", ""])
def test_unsafe_names_are_refused(tmp_path: Path, process: bool, name: str) -> None:
    writer = OutputWriter(tmp_path / "out", process=process)
    with pytest.raises(ValueError, match="unsafe output file name"):
        writer.write_text(name, "x")
    writer.write_text("ok.md", "x")
    with pytest.raises(ValueError, match="two pages would both be written"):
        writer.write_text("ok.md", "y")
    writer.close()
    assert sorted(os.listdir(tmp_path / "out")) == ["ok.md"]


@pytest.mark.parametrize("process", MODES)
def test_a_write_that_fails_keeps_its_errno_and_file_name(tmp_path: Path, process: bool) -> None:
    out = tmp_path / "out"
    writer = OutputWriter(out, process=process)
    (out / "taken.md").mkdir()  # a folder where a page goes: unlink fails, EISDIR/EPERM
    with pytest.raises(OSError) as raised:
        writer.write_text("taken.md", "x")
        writer.close()
    assert raised.value.errno in (errno.EISDIR, errno.EPERM)
    assert raised.value.filename == str(out / "taken.md")
    writer.close()  # a second close after the failure does nothing


def test_a_killed_writing_process_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    writer = OutputWriter(tmp_path / "out", process=True)
    writer.write_text("first.md", "x")
    process = writer._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with pytest.raises(OSError, match="output writer stopped"):
        for i in range(200):  # until the closed pipe shows, or at the end of the stream
            writer.write_text(f"p{i}.md", "x" * 100_000)
        writer.close()


def test_an_interrupt_is_the_senders_to_handle(tmp_path: Path) -> None:
    """Ctrl-C reaches the writing process too: it finishes what it was sent, so the
    sender's KeyboardInterrupt is not replaced by a writer failure while it cleans up."""
    out = tmp_path / "out"
    writer = OutputWriter(out, process=True)
    writer.write_text("first.md", "x")
    assert writer._process is not None
    deadline = time.monotonic() + 30
    while not (out / "first.md").exists() and time.monotonic() < deadline:
        time.sleep(0.01)  # up and writing: past the moment it starts ignoring Ctrl-C
    writer._process.send_signal(signal.SIGINT)
    writer.write_text("second.md", "y")
    writer.close()
    assert sorted(os.listdir(out)) == ["first.md", "second.md"]


def test_a_writing_process_stopped_by_ctrl_c_while_starting_is_an_interrupt(
    tmp_path: Path,
) -> None:
    writer = OutputWriter(tmp_path / "out", process=True)
    assert writer._process is not None
    writer._process.send_signal(signal.SIGINT)  # before it could start ignoring it
    writer._process.wait()
    with pytest.raises(KeyboardInterrupt):
        writer.close()


def test_docs_written_by_the_process_equal_docs_written_in_place(
    tmp_path: Path, monkeypatch
) -> None:
    modes: list[bool] = []
    real_init = OutputWriter.__init__

    def record(self: OutputWriter, out_dir: Path, *, process: bool = False) -> None:
        real_init(self, out_dir, process=process)
        modes.append(self._process is not None)

    monkeypatch.setattr(OutputWriter, "__init__", record)
    options = GenerationOptions(repo_name="acme/sample", commit="c" * 40)
    generate_docs(FIXTURES, tmp_path / "inline", options)
    monkeypatch.setattr(pipeline, "WRITER_PROCESS_MIN_PAGES", 1)
    generate_docs(FIXTURES, tmp_path / "process", options)
    assert modes == [False, True]
    assert comparable(tmp_path / "process") == comparable(tmp_path / "inline")


@pytest.mark.parametrize("name", ["../escape.md", ".hidden.md", "a/b.md", "Upper.md", "a..b.md"])
def test_the_writing_process_checks_names_by_the_same_rule(tmp_path: Path, name: str) -> None:
    encoded = name.encode()
    stream = io.BytesIO(write_files.FRAME.pack(len(encoded), 1) + encoded + b"x")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match="unsafe output file name"):
        write_files.serve(str(out), stream)
    assert list(tmp_path.rglob("*.md")) == []
