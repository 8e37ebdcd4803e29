"""gobuild's process reaper: starts one bootstrap and makes sure nothing it starts outlives it.

    python -I -S reaper.py STATUS_FD ENV_FD GRACE -- COMMAND...

gobuild runs it once per execution environment, in a session of its own. It imports nothing from
gobuild (and not even `signal`, whose enum import costs 20 ms), so a cold start stays quick.

- On Linux it makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER): whatever the bootstrap
  starts stays below it, even a child whose parent exited or that left with setsid, so all of it
  is found through /proc and killed. Without /proc and prctl (macOS) it kills the bootstrap's
  process group, and a child that left the group is out of reach.
- When the bootstrap exits, everything it started is killed, as Lambda resets its sandbox.
- Standard input is gobuild's control line: "t" sends SIGTERM to the bootstrap and SIGKILL after
  GRACE seconds; "k", and end of file (gobuild is gone, however it died), kill at once.
- STATUS_FD receives "pid N" once the bootstrap runs, or "exec ERRNO" when it cannot be executed,
  then "exit STATUS" (a wait status) once the bootstrap and everything it started are gone.
- ENV_FD carries the bootstrap's environment as NAME=VALUE entries separated by NUL bytes. The
  reaper itself runs with an empty one, so nothing the zip sets (LD_LIBRARY_PATH) reaches it.

Why a subreaper, and not a cgroup or a PID namespace: a cgroup needs root or a subtree that
systemd delegated, and a PID namespace needs unprivileged user namespaces, which Docker's default
seccomp profile and Ubuntu 24.04's AppArmor policy refuse; the subreaper works for any user on
Linux 3.4+. And why a process of its own rather than gobuild itself: gobuild cannot tell an orphan
re-parented to it from a child it started for another reason, while everything below the reaper
is the function's.
"""

from __future__ import annotations

import _thread
import os
import sys
import time

_signal = __import__("_signal")  # the C module: its constants without `signal`'s enum import
SIGKILL: int = _signal.SIGKILL
SIGTERM: int = _signal.SIGTERM
# Python ignores these; an ignored signal stays ignored across exec, so the bootstrap gets defaults.
RESTORED_SIGNALS: tuple[int, ...] = tuple(
    getattr(_signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(_signal, name)
)
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Makes orphaned descendants re-parent to this process instead of init (Linux 3.4+)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return int(ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def descendants(root: int) -> list[int] | None:
    """Every process below `root`, read from /proc; None where there is no /proc."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # it ended while we looked
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def signal_quietly(pid: int, signum: int, *, group: bool = False) -> None:
    try:
        if group:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except OSError:
        pass  # already gone


class Reaper:
    """The bootstrap's process and what may signal it: only while it is not reaped, so a pid
    the kernel has handed to someone else is never signalled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.done = False
        self.lock = _thread.allocate_lock()

    def signal_bootstrap(self, signum: int) -> None:
        with self.lock:
            if not self.done:
                signal_quietly(self.pid, signum, group=True)  # its session leader's group

    def follow_control(self, grace: float) -> None:
        """Runs on a thread: obeys gobuild's control line."""
        try:
            command = os.read(0, 1)
        except OSError:
            command = b""
        if command == b"t":
            self.signal_bootstrap(SIGTERM)
            time.sleep(grace)
        self.signal_bootstrap(SIGKILL)

    def wait_for_bootstrap(self) -> int:
        """Reaps orphans as they come until the bootstrap exits; returns its wait status."""
        while True:
            # WNOWAIT: look first, so `done` is set before the pid is freed.
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            if info is None:
                continue
            if info.si_pid != self.pid:
                os.waitpid(info.si_pid, 0)
                continue
            with self.lock:
                self.done = True
            return os.waitpid(self.pid, 0)[1]

    def kill_the_rest(self) -> None:
        """Kills and reaps everything that is left below this process."""
        while True:
            victims = descendants(os.getpid())
            if victims is None:
                signal_quietly(self.pid, SIGKILL, group=True)  # no /proc: its group is all we know
                victims = []
            for pid in victims:
                signal_quietly(pid, SIGKILL)
            try:
                os.waitpid(-1, 0)  # one of them is gone; look again, as its children are now ours
            except ChildProcessError:
                if not victims:
                    return


def spawn(command: list[str], environment: dict[bytes, bytes]) -> int:
    """Starts the bootstrap in a session of its own, stdin from /dev/null; OSError if exec fails."""
    return os.posix_spawn(
        command[0],
        command,
        environment,
        file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
        setsigdef=RESTORED_SIGNALS,
        setsid=True,
    )


def read_environment(fd: int) -> dict[bytes, bytes]:
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    pairs = (entry.partition(b"=") for entry in data.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


def report(fd: int, line: str) -> None:
    try:
        os.write(fd, line.encode() + b"\n")
    except OSError:
        pass  # gobuild is gone: the work is still done


def main(argv: list[str]) -> int:
    status_fd, env_fd, grace = int(argv[1]), int(argv[2]), float(argv[3])
    command = argv[argv.index("--") + 1:]
    os.set_inheritable(status_fd, False)  # only the reaper reports; the bootstrap must not hold it
    environment = read_environment(env_fd)
    become_subreaper()
    try:
        pid = spawn(command, environment)
    except OSError as error:
        report(status_fd, f"exec {error.errno or 0}")
        return 0
    report(status_fd, f"pid {pid}")
    reaper = Reaper(pid)
    _thread.start_new_thread(reaper.follow_control, (grace,))
    status = reaper.wait_for_bootstrap()
    reaper.kill_the_rest()
    report(status_fd, f"exit {status}")
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv))  # not sys.exit: the control thread may still be reading stdin
