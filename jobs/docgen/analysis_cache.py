"""Per-file analysis results cached on disk, so a new commit re-analyses only changed files.

The key is the file's git blob id (``sha1("blob <size>\\0" + content)``, the id git
itself gives the content), its path (component ids contain it) and language, and a
fingerprint of the analysis code: the generator version plus a hash of every
module of the generator, so changed analysis code never reuses an old result. The value
is the ``FileInfo`` exactly as the parser returned it, pickled before any later
stage mutates it, behind a SHA-256 checksum: a corrupt or truncated entry is
recomputed, never fatal. Rendered module pages are entries too (``page_cache``), digested
partly by ``digests``: the checksum of each file's parser result, recorded as entries are
read and made.

Entries live in packs, one folder of packs per repository. A run reads the packs of its
repository and writes at most one new pack: only the entries it made, while the packs it
read are still mostly what it used; else (and after finding a damaged entry, or reading
``MAX_PACKS`` packs) one pack with every entry it used or made, replacing the packs it
read, so the folder holds what the latest run needed. A one-file commit of a large
repository thus writes a few entries, not the whole repository's analyses again.
One file per run rather than one per entry, because creating files is what costs: on
slow storage (a virtual machine's disk, NFS) creating Django's 1,240 entry files added
about 0.6 s to a 3.5 s generation. Packs are written aside and renamed, never changed:
two runs of one repository at once each write their own, and a later run merges them.
``evict`` keeps the whole cache under a byte budget, least recently used pack first
(reading a pack refreshes its mtime).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .model import FileInfo

_CHECKSUM_BYTES = 32
_MAGIC = b"CWPACK1\n"
_HEADER = len(_MAGIC) + 8  # the magic, then the index's length
_SUFFIX = ".pack"
STALE_WRITE_SECONDS = 3600  # a pack still being written after this long never will be
# A run replaces the packs it read with one pack of what it used once they hold this many
# packs, or when less than this share of their bytes is still used.
MAX_PACKS = 8
MIN_USED_SHARE = 0.5

Index = dict[str, tuple[int, int]]  # key -> (offset, length) of its entry in the pack


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
class _Pack:
    path: str
    data: bytes
    index: Index


@dataclass
class AnalysisCache:
    """The cache folder ``root``; this run reads and writes the packs of ``scope`` (the
    repository) only."""

    root: Path
    scope: str = ""
    hits: int = 0
    misses: int = 0
    # rel -> SHA-256 of the parser's result as pickled, for files got or put in this run:
    # what the page cache digests a file's analysis by (see page_cache).
    digests: dict[str, bytes] = field(default_factory=dict)
    _packs: list[_Pack] | None = field(default=None, repr=False)  # read when first needed
    _used: dict[str, _Pack] = field(default_factory=dict, repr=False)  # key -> its pack
    _new: dict[str, bytes] = field(default_factory=dict, repr=False)  # key -> entry
    _damaged: bool = field(default=False, repr=False)  # an entry read failed its checksum

    @property
    def folder(self) -> str:
        name = hashlib.sha256(self.scope.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return os.path.join(self.root, name)

    def _key(self, rel: str, language: str, data: bytes) -> str:
        return hashlib.sha256(
            f"{FINGERPRINT}\0{language}\0{rel}\0{blob_id(data)}".encode()
        ).hexdigest()

    def get(self, rel: str, language: str, data: bytes) -> FileInfo | None:
        entry = self._entry(self._key(rel, language, data))
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
        try:
            payload = pickle.dumps(info, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return  # a cache that cannot be written only costs time
        self.digests[rel] = self.write(self._key(rel, language, data), payload)

    def read(self, key: str) -> bytes | None:
        """An entry's payload, or None when it is missing, corrupt or truncated."""
        entry = self._entry(key)
        return entry[1] if entry is not None else None

    def write(self, key: str, payload: bytes) -> bytes:
        """Store ``payload`` under ``key`` (on disk when the run ends: ``close``); returns
        its checksum."""
        checksum = hashlib.sha256(payload).digest()
        self._new[key] = checksum + payload
        self._used.pop(key, None)
        return checksum

    def take_new(self) -> dict[str, bytes]:
        """The entries made in this process (a forked helper hands them to its parent)."""
        new, self._new = self._new, {}
        return new

    def add_new(self, entries: dict[str, bytes]) -> None:
        for key, entry in entries.items():
            self._new[key] = entry
            self._used.pop(key, None)

    def close(self, *, complete: bool) -> None:
        """Write this run's pack and forget the packs read. ``complete``: the run ended well,
        so it may replace the packs it read with one of every entry it used (see the module
        docstring for when it does); after a failure only the new entries are written and
        the old packs stay."""
        packs = self._packs or []
        try:
            if complete and self._should_compact(packs):
                self._write_pack(self._used)
                for pack in packs:
                    with contextlib.suppress(OSError):
                        os.unlink(pack.path)
            elif self._new:
                self._write_pack({})
        except OSError:
            pass  # a cache that cannot be written only costs time
        finally:
            self._packs, self._used, self._new, self._damaged = None, {}, {}, False

    def _should_compact(self, packs: list[_Pack]) -> bool:
        if not packs:
            return False
        if self._damaged or len(packs) >= MAX_PACKS:
            return True
        used = sum(pack.index[key][1] for key, pack in self._used.items())
        return used < MIN_USED_SHARE * sum(len(pack.data) for pack in packs)

    def _entry(self, key: str) -> tuple[bytes, bytes] | None:
        entry = self._new.get(key)
        if entry is None:
            for pack in self._read_packs():
                where = pack.index.get(key)
                if where is not None:
                    offset, length = where
                    entry = pack.data[offset : offset + length]
                    self._used[key] = pack
                    break
        if entry is None or len(entry) < _CHECKSUM_BYTES:
            return None
        checksum, payload = entry[:_CHECKSUM_BYTES], entry[_CHECKSUM_BYTES:]
        if hashlib.sha256(payload).digest() != checksum:
            self._used.pop(key, None)  # recomputed by the caller, and written again
            self._damaged = True
            return None
        return checksum, payload

    def _read_packs(self) -> list[_Pack]:
        if self._packs is None:
            self._packs = []
            folder = self.folder
            with contextlib.suppress(OSError):
                names = sorted(
                    (name for name in os.listdir(folder) if name.endswith(_SUFFIX)), reverse=True
                )  # newest first: the name starts with the time it was written
                for name in names:
                    pack = _open_pack(os.path.join(folder, name))
                    if pack is not None:
                        self._packs.append(pack)
        return self._packs

    def _write_pack(self, used: dict[str, _Pack]) -> None:
        index: Index = {}
        parts: list[bytes] = []
        offset = 0
        for key, pack in used.items():
            start, length = pack.index[key]
            parts.append(pack.data[start : start + length])
            index[key] = (offset, length)
            offset += length
        for key, entry in self._new.items():
            parts.append(entry)
            index[key] = (offset, len(entry))
            offset += len(entry)
        head = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
        folder = self.folder
        os.makedirs(folder, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}"
        tmp, path = os.path.join(folder, name + ".tmp"), os.path.join(folder, name + _SUFFIX)
        try:
            with open(tmp, "wb") as handle:
                # The index's offsets count from the end of the header (see _open_pack).
                handle.write(_MAGIC + len(head).to_bytes(8, "big") + head)
                for part in parts:
                    handle.write(part)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _open_pack(path: str) -> _Pack | None:
    """A pack with its index; None when it is gone or unreadable (a corrupt pack is
    deleted: its entries are computed again).

    Read whole rather than memory-mapped: on NFS another machine's run may delete the
    pack meanwhile, and a mapped page read after that is a SIGBUS, not an error."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            with contextlib.suppress(OSError):
                os.utime(handle.fileno())  # least recently used goes first
    except OSError:
        return None  # deleted by a run that merged it, or unreadable
    try:
        if data[: len(_MAGIC)] != _MAGIC:
            raise ValueError("not a pack")
        head = int.from_bytes(data[len(_MAGIC) : _HEADER], "big")
        index = pickle.loads(data[_HEADER : _HEADER + head])
        base = _HEADER + head
        if not isinstance(index, dict):
            raise ValueError("no index")
        index = {key: (base + start, length) for key, (start, length) in index.items()}
        if any(start + length > len(data) for start, length in index.values()):
            raise ValueError("truncated")
    except Exception:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return _Pack(path, data, index)


_active: AnalysisCache | None = None


def activate(root: str | os.PathLike[str] | None, scope: str = "") -> AnalysisCache | None:
    """Use the cache at ``root``, for the repository ``scope``, in this process and forked
    helpers (None: no cache)."""
    global _active
    _active = AnalysisCache(Path(root), scope) if root else None
    return _active


def active() -> AnalysisCache | None:
    return _active


def evict(root: str | os.PathLike[str], max_bytes: int) -> int:
    """Delete least recently used packs until the cache holds at most ``max_bytes``, and
    what no run will read: packs half-written by a run that died, entries of the older
    one-file-per-entry layout. Returns how many files went."""
    packs = []
    total = 0
    removed = 0
    stale = time.time() - STALE_WRITE_SECONDS
    for path in Path(root).glob("*/*"):
        try:
            stat = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        if path.suffix != _SUFFIX:
            if path.suffix != ".tmp" or stat.st_mtime < stale:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
            continue
        packs.append((stat.st_mtime, stat.st_size, path))
        total += stat.st_size
    for _mtime, size, path in sorted(packs):
        if total <= max_bytes:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
    with contextlib.suppress(OSError):
        for folder in Path(root).iterdir():
            with contextlib.suppress(OSError):
                folder.rmdir()  # only an empty one goes
    return removed
