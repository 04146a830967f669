"""Per-file analysis results cached on disk, so a new commit re-analyses only changed files.

The key is the file's git blob id (``sha1("blob <size>\\0" + content)``, the id git
itself gives the content), its path (component ids contain it) and language, and a
fingerprint of the analysis code: the generator version plus a hash of every
module of the generator, so changed analysis code never reuses an old result. The value
is the ``FileInfo`` exactly as the parser returned it, pickled before any later
stage mutates it, behind a SHA-256 checksum: a corrupt or truncated entry is
recomputed, never fatal.

The cache is a folder (it survives restarts); ``evict`` keeps it under a byte
budget, least recently used first (a hit refreshes the entry's mtime). Rendered module
pages live in the same folder (``page_cache``), digested partly by ``digests``: the
checksum of each file's parser result, which reads and writes record as they go.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .model import FileInfo

_CHECKSUM_BYTES = 32


def _code_fingerprint() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    # The whole package, not only parsers/: parsers use helpers from its other modules.
    for path in sorted(here.rglob("*.py")):
        digest.update(str(path.relative_to(here)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


FINGERPRINT = _code_fingerprint()


def blob_id(data: bytes) -> str:
    """Git's object id of a file with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class AnalysisCache:
    root: Path
    hits: int = 0
    misses: int = 0
    # rel -> SHA-256 of the parser's result as pickled, for files got or put in this run:
    # what the page cache digests a file's analysis by (see page_cache).
    digests: dict[str, bytes] = field(default_factory=dict)
    _made: set[str] = field(default_factory=set, repr=False)  # folders known to exist
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _writer_pid: int = field(default=0, repr=False)

    def _path(self, rel: str, language: str, data: bytes) -> str:
        key = hashlib.sha256(
            f"{FINGERPRINT}\0{language}\0{rel}\0{blob_id(data)}".encode()
        ).hexdigest()
        return self.entry_path(key, ".pickle")

    def entry_path(self, key: str, suffix: str) -> str:
        # Plain strings: path objects cost more than the rest of a lookup.
        return os.path.join(self.root, key[:2], key + suffix)

    def get(self, rel: str, language: str, data: bytes) -> FileInfo | None:
        entry = self._read(self._path(rel, language, data))
        if entry is None:
            return None
        checksum, payload = entry
        try:
            info = pickle.loads(payload)
        except Exception:
            return None
        if not isinstance(info, FileInfo) or info.path != rel:
            return None
        self.digests[rel] = checksum
        return info

    def put(self, rel: str, language: str, data: bytes, info: FileInfo) -> None:
        """Store ``info``; the file is written by a background thread (see ``flush``)."""
        try:
            payload = pickle.dumps(info, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return  # a cache that cannot be written only costs time
        self.digests[rel] = self.write(self._path(rel, language, data), payload)

    def read(self, path: str) -> bytes | None:
        """An entry's payload, or None when it is missing, corrupt or truncated."""
        entry = self._read(path)
        return entry[1] if entry is not None else None

    def _read(self, path: str) -> tuple[bytes, bytes] | None:
        # A few system calls per entry rather than Python's buffered open (twice as many):
        # an incremental run reads an entry for every file of the repository.
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            raw = os.read(fd, os.fstat(fd).st_size)
            with contextlib.suppress(OSError):
                os.utime(fd)  # least recently used goes first
        except OSError:
            return None
        finally:
            os.close(fd)
        checksum, payload = raw[:_CHECKSUM_BYTES], raw[_CHECKSUM_BYTES:]
        if hashlib.sha256(payload).digest() != checksum:
            return None  # recomputed and overwritten by the caller
        return checksum, payload

    def write(self, path: str, payload: bytes) -> bytes:
        """Store ``payload`` at ``path`` from a background thread (see ``flush``); returns
        its checksum."""
        checksum = hashlib.sha256(payload).digest()
        if self._writer is None or self._writer_pid != os.getpid():
            # Created lazily, and again in a forked helper: threads do not survive a fork.
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="analysis-cache")
            self._writer_pid = os.getpid()
        # Creating files is slow on some file systems and releases the GIL: done aside,
        # it overlaps with parsing the next files.
        self._writer.submit(self._write, path, checksum + payload)
        return checksum

    def flush(self) -> None:
        """Wait until every entry ``put`` so far is on disk."""
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.shutdown(wait=True)
        self._writer = None

    def _write(self, path: str, entry: bytes) -> None:
        # Written aside and renamed: a reader never sees half an entry. The aside name is
        # unique to this process (mkstemp's random names cost twice the whole write).
        tmp = f"{path}.{os.getpid()}.tmp"
        folder = os.path.dirname(path)
        try:
            if folder not in self._made:
                os.makedirs(folder, exist_ok=True)
                self._made.add(folder)
            with open(tmp, "wb") as handle:
                handle.write(entry)
            os.replace(tmp, path)
        except Exception:
            self._made.clear()  # the folder may have been removed under us
            with contextlib.suppress(OSError):
                os.unlink(tmp)


_active: AnalysisCache | None = None


def activate(root: str | os.PathLike[str] | None) -> AnalysisCache | None:
    """Use the cache at ``root`` for this process and forked helpers (None: no cache)."""
    global _active
    _active = AnalysisCache(Path(root)) if root else None
    return _active


def active() -> AnalysisCache | None:
    return _active


def evict(root: str | os.PathLike[str], max_bytes: int) -> int:
    """Delete least recently used entries until the cache holds at most ``max_bytes``."""
    entries = []
    total = 0
    for path in Path(root).glob("*/*"):
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.suffix == ".tmp" or not path.is_file():
            continue
        entries.append((stat.st_mtime, stat.st_size, path))
        total += stat.st_size
    removed = 0
    for _mtime, size, path in sorted(entries):
        if total <= max_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
    return removed
