"""How git's complaints become job error messages, and which ones are worth a retry."""

from __future__ import annotations

import pytest

from jobs.fetch import (
    CommitNotFound,
    FetchError,
    FetchTimeout,
    RepositoryNotFound,
    TransientFetchError,
    classify_git_error,
)

URL = "https://github.com/acme/widgets"


@pytest.mark.parametrize(
    ("stderr", "kind", "message"),
    [
        (
            "  stderr: 'fatal: unable to access 'https://github.com/acme/widgets/': "
            "Could not resolve host: github.com'",
            TransientFetchError,
            "Failed to clone repository: unable to access 'https://github.com/acme/widgets/': "
            "Could not resolve host: github.com",
        ),
        ("fatal: repository 'https://github.com/acme/widgets/' not found", RepositoryNotFound,
         "Repository not found"),
        ("fatal: remote error: access denied or repository not exported: /x", RepositoryNotFound,
         "Repository not found"),
        ("fatal: couldn't find remote ref refs/heads/nope", CommitNotFound,
         "Commit or branch not found in repository: couldn't find remote ref refs/heads/nope"),
        ('Timeout: the command "git ls-remote" did not complete in 300 secs.', FetchTimeout,
         f"Timed out after 300 s cloning {URL}"),
        ("fatal: early EOF", TransientFetchError, "Failed to clone repository: early EOF"),
        ("fatal: something odd", FetchError, "Failed to clone repository: something odd"),
    ],
)  # fmt: skip
def test_classification(stderr: str, kind: type[FetchError], message: str) -> None:
    error = classify_git_error(stderr, url=URL, timeout=300, what="cloning")
    assert type(error) is kind
    assert error.message == message
    assert error.detail == stderr
    assert error.transient == issubclass(kind, TransientFetchError)
