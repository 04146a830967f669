"""A full disk says where, and the job is retried later (issue 10.5).

The temp folder is a real tiny tmpfs, so git and the generator hit a real ENOSPC.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.docgen import GenerationOptions, generate_docs
from jobs.docgen.writer import OutputWriter
from jobs.models import Job, JobAttempt, Status
from jobs.pipeline import failure_of
from tests.conftest import SAMPLE_FILES, GitServer
from tests.support.gitserve import write_files


@pytest.fixture
def small_temp(output_dir: Path) -> Iterator[Path]:
    temp = output_dir / "temp"
    temp.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(temp)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield temp
    finally:
        subprocess.run(["umount", "--lazy", str(temp)], check=False)


@pytest.mark.django_db(transaction=True)
def test_clone_on_a_full_disk_is_retried_later(
    client: Any, git_server: GitServer, worker_process: Any, small_temp: Path, settings: Any
) -> None:
    settings.CODEWIKI_RETRY_BACKOFF_SECONDS = 600
    url = git_server.make_repo("acme/bulky", {**SAMPLE_FILES, "data.bin": os.urandom(400_000)})
    job_id = client.post("/api/jobs", {"repo_url": url}, content_type="application/json").json()[
        "job_id"
    ]
    worker = worker_process("--max-jobs", "1")
    assert worker.wait(timeout=60) == 0, worker.log()

    job = Job.objects.get(job_id=job_id)
    assert job.status == Status.QUEUED, job.error_message  # transient: back in the queue
    assert job.attempts == 1
    assert "Out of disk space in the temp folder" in job.error_message
    assert str(small_temp) not in job.error_message  # server paths only in the trace
    attempt = JobAttempt.objects.get(job=job)
    assert attempt.outcome == JobAttempt.Outcome.RETRYING
    assert attempt.message.startswith("Out of disk space in the temp folder")
    assert os.listdir(small_temp) == []


def test_generator_write_on_a_full_disk_names_the_folder(small_temp: Path, tmp_path: Path) -> None:
    function = 'def f{i}_{j}(a, b):\n    """Add a to b and return the sum of the two."""\n\n\n'
    files = {
        f"pkg{i % 20}/mod{i}.py": f'"""Module {i}."""\n\n\n'
        + "".join(function.format(i=i, j=j) for j in range(10))
        for i in range(200)
    }
    repo = write_files(tmp_path / "repo", files)
    with pytest.raises(OSError) as raised:
        generate_docs(repo, small_temp / "docs", GenerationOptions(repo_name="owner/repo"))
    message, transient = failure_of(raised.value, small_temp / "job")
    assert transient
    assert message == "Out of disk space in the temp folder (CODEWIKI_OUTPUT_DIR/temp)"


@pytest.mark.parametrize("process", [True, False], ids=["process", "inline"])
def test_the_output_writer_on_a_full_disk_says_where(small_temp: Path, process: bool) -> None:
    writer = OutputWriter(small_temp / "docs", process=process)
    with pytest.raises(OSError) as raised:
        for i in range(40):  # 400 KB for a 96 KB disk
            writer.write_text(f"page-{i}.md", "x" * 10_000)
        writer.close()
    writer.close()
    assert raised.value.errno == errno.ENOSPC
    assert str(raised.value.filename).startswith(str(small_temp / "docs"))
    message, transient = failure_of(raised.value, small_temp / "job")
    assert transient
    assert message == "Out of disk space in the temp folder (CODEWIKI_OUTPUT_DIR/temp)"
