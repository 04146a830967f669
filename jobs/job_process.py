"""The processes of one job attempt: a child in a process group of its own, and its guard.

The worker parent forks two processes per attempt (DESIGN.md decision 4):

- the *job child* runs the pipeline. It starts a session (so a process group)
  of its own, which git and every helper git starts (``git-remote-http``,
  ``index-pack`` …) inherit, and the kernel SIGKILLs it when the worker dies
  (``PR_SET_PDEATHSIG``);
- the *guard* waits, outside that group, for the end of the child (a pipe whose
  only writer is the child reaches end-of-file however the child ends, SIGKILL
  included) or for the lease deadline the worker last confirmed, whichever
  comes first, and then SIGKILLs the child's whole group.

So nothing of an attempt outlives it: not git hung on a silent server after its
worker was SIGKILLed (the child dies with the worker, the guard then kills the
rest of the group), and not a job whose worker could not renew its lease (the
guard stops it before the lease expires, so another worker's reaper never
takes back a job that still runs). The guard needs neither the database nor
the parent's loop: only the system-wide monotonic clock and a deadline the
parent shares with it in memory. It is the parent's child, not the job
child's, so the parent reaps it and no zombie is left to PID 1.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import select
import signal
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

FORK = multiprocessing.get_context("fork")
PR_SET_PDEATHSIG = 1


def lease_margin(lease_seconds: float) -> float:
    """How long before its lease expires a job that could not renew it is stopped."""
    return max(0.25, lease_seconds / 10)


def die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def parent_death_signal(signum: int) -> Callable[[], None]:
    """A ``preexec_fn``: the kernel sends ``signum`` to the new process when its caller dies."""
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork, not between fork and exec
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:  # the caller died before prctl took effect
            os._exit(1)

    return preexec


class JobProcess:
    """One attempt's child and guard, as the worker parent sees them."""

    def __init__(
        self, target: Callable[..., Any], args: tuple[Any, ...], *, name: str, deadline: float
    ) -> None:
        # Shared memory, written by the parent, read by the guard: no lock needed
        # for one aligned double, and a stale read only errs towards killing late
        # by one renewal, which the margin absorbs.
        self._deadline = FORK.RawValue("d", deadline)
        self._stopped_for_lease = FORK.RawValue("b", 0)
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        self.process: BaseProcess = FORK.Process(
            target=_child_main, args=(parent, read_fd, target, args), name=name
        )
        self.process.start()
        os.close(write_fd)  # from now on the child holds the only write end
        self.guard: BaseProcess = FORK.Process(
            target=_guard_main,
            args=(read_fd, self.process.pid, self._deadline, self._stopped_for_lease),
            name=f"{name}-guard",
        )
        self.guard.start()
        os.close(read_fd)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def renew(self, deadline: float) -> None:
        """The lease was renewed: let the attempt run until ``deadline`` (monotonic)."""
        self._deadline.value = deadline

    @property
    def stopped_for_lease(self) -> bool:
        """True if the guard stopped the attempt because its lease was about to expire."""
        return bool(self._stopped_for_lease.value)

    def kill(self) -> None:
        """SIGKILL the child's whole group (git included) and reap child and guard."""
        if self.process.is_alive() and self.process.pid is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()  # not yet in its own session
        self.join()

    def join(self) -> None:
        self.process.join(timeout=10)
        # The guard ends as soon as it sees the child's pipe close.
        self.guard.join(timeout=5)
        if self.guard.is_alive():
            self.guard.kill()
            self.guard.join(timeout=5)


def _child_main(
    parent: int, read_fd: int, target: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    """The job child: a session of its own, dies with the worker, then runs ``target``."""
    # A session of its own: the terminal's Ctrl-C goes to the parent only, and the
    # group can be killed as one, git and anything else the job started included.
    os.setsid()
    die_with_parent(parent)
    os.close(read_fd)  # the write end stays open, unused, until this process ends
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    target(*args)


def _guard_main(read_fd: int, group: int, deadline: Any, stopped_for_lease: Any) -> None:
    """Wait for the child's end or the lease deadline, then kill the child's group."""
    signal.set_wakeup_fd(-1)
    # The worker decides when a job stops; a Ctrl-C or SIGTERM meant for the
    # worker must not leave its job unguarded.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        remaining = deadline.value - time.monotonic()
        if remaining <= 0:
            stopped_for_lease.value = 1
            with contextlib.suppress(ProcessLookupError):
                os.kill(group, signal.SIGKILL)  # in case it has not called setsid yet
            break
        readable, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
        if readable:  # end-of-file: the child is gone, however it ended
            break
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
