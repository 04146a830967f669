"""Reading and damaging the analysis cache's packs the way a disk or a crash would."""

from __future__ import annotations

import pickle
from pathlib import Path

_MAGIC = b"CWPACK1\n"


def packs(root: Path) -> list[Path]:
    """Every pack in the cache folder ``root``, oldest first."""
    return sorted(root.glob("*/*.pack"), key=lambda p: p.name)


def entries(pack: Path) -> dict[str, tuple[int, int]]:
    """The pack's entries: key -> (offset in the file, length)."""
    data = pack.read_bytes()
    assert data.startswith(_MAGIC)
    size = int.from_bytes(data[len(_MAGIC) : len(_MAGIC) + 8], "big")
    base = len(_MAGIC) + 8 + size
    index = pickle.loads(data[len(_MAGIC) + 8 : base])
    return {key: (base + offset, length) for key, (offset, length) in index.items()}


def flip_byte(pack: Path, key: str) -> None:
    """One changed byte in the middle of an entry (its checksum no longer matches)."""
    offset, length = entries(pack)[key]
    data = bytearray(pack.read_bytes())
    data[offset + length // 2] ^= 0xFF
    pack.write_bytes(bytes(data))
