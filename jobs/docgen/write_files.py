"""Writing the output files, in a process of its own (``writer.OutputWriter``).

Run as a script with the standard library only (``python -I -S write_files.py OUT``): it
reads frames from stdin, each the lengths of a name and its bytes, then the name and the
bytes, and writes the file ``OUT/name``; a frame with an empty name ends the stream. On a
failure it prints the error as JSON on stderr and exits with status 1 at once (the sender
then finds the pipe closed).
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import sys
from typing import BinaryIO

FRAME = struct.Struct(">IQ")  # name length, data length
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def is_safe_name(name: str) -> bool:
    """A plain file name in the output folder: no folder, no dot file, no `..`."""
    return bool(_SAFE_NAME.match(name)) and ".." not in name


def write_file(path: str, data: bytes) -> None:
    """Create or replace the regular file ``path``; never write through a link there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW
    try:
        fd = os.open(path, flags, 0o644)
    except OSError:
        # Something (a symlink, say) already sits at that name: never write through it.
        os.unlink(path)
        fd = os.open(path, flags | os.O_EXCL, 0o644)
    try:
        write_all(fd, data)
    except OSError as exc:
        # os.write names no file: say which one (a full disk is reported by its folder).
        raise OSError(exc.errno, exc.strerror, path) from exc
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the stream of files ended early")
    return data


def serve(out_dir: str, stream: BinaryIO) -> None:
    while True:
        name_size, data_size = FRAME.unpack(_read_exactly(stream, FRAME.size))
        if not name_size:
            return
        name = _read_exactly(stream, name_size).decode("utf-8")
        if not is_safe_name(name):  # the sender checks names; so does this
            raise ValueError(f"unsafe output file name: {name!r}")
        write_file(os.path.join(out_dir, name), _read_exactly(stream, data_size))


def main() -> int:
    # Ctrl-C reaches the whole foreground group: the sender decides what an interrupt
    # means, and this process finishes what it was sent (SIGTERM and SIGKILL still stop it).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stream = sys.stdin.buffer
    try:
        serve(sys.argv[1], stream)
    except Exception as exc:
        error = {
            "type": type(exc).__name__,
            "errno": getattr(exc, "errno", None),
            "strerror": getattr(exc, "strerror", None),
            "filename": getattr(exc, "filename", None),
            "message": str(exc),
        }
        sys.stderr.write(json.dumps(error) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
