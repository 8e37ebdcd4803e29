"""Writing a MigrationReport: all of it or none of it.

1. Check every target first, with no side effect: it is still what was read, it is a regular
   file or absent, and its folder exists or can be made (no file stands in the way).
2. Prepare: make the missing folders, then write each new text to a temp file beside its target.
3. Rename every temp file over its target.
A refusal in step 1 changes nothing (exit 2, naming the target). A failure in step 2 or 3 removes
the temp files and the folders made, and puts back the files already renamed.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gobuild.errors import MigrateError
from gobuild.files import TEMP_SUFFIX, temp_name
from gobuild.migrate.inputs import MAX_FILE_SIZE, read_bounded
from gobuild.migrate.model import FileUpdate, MigrationReport, RefusedInput

_NOTHING_WRITTEN = "nothing was written; fix it and run migrate --write again"


@dataclass(frozen=True, kw_only=True)
class _Plan:
    update: FileUpdate
    target: Path  # the real file (a symlink is written through, not replaced)
    mode: int
    missing_folders: tuple[Path, ...]  # outermost first


def write_report(report: MigrationReport) -> list[Path]:
    """Writes every update of the report, or none of them. Returns the paths written."""
    updates = [u for u in report.updates if u.before != u.after]
    plans = [_check(update) for update in updates]
    targets = [plan.target for plan in plans]
    if len(set(targets)) != len(targets):
        twice = next(t for t in targets if targets.count(t) > 1)
        raise RefusedInput(f"{twice}: reached by two paths given to migrate", _NOTHING_WRITTEN)
    _apply(plans)
    return [plan.update.path for plan in plans]


def _check(update: FileUpdate) -> _Plan:
    """Refuses (RefusedInput) a target that cannot be written, touching nothing."""
    path = update.path
    target = path.resolve() if path.is_symlink() else Path(os.path.abspath(path))
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise _refused(path, error.strerror or str(error)) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise _refused(path, "it is not a regular file")
    if update.before is None and info is not None:
        raise RefusedInput(f"{path}: created since migrate read the files", "run migrate again")
    if update.before is not None:
        current = _read(target) if info is not None else None
        if current != update.before:
            raise RefusedInput(f"{path}: changed since it was read", "run migrate again; nothing was written")
    missing = _missing_folders(path, target.parent)
    writable_folder = missing[0].parent if missing else target.parent
    if not os.access(writable_folder, os.W_OK | os.X_OK):
        raise _refused(path, f"{writable_folder} is not writable")
    if info is not None and not os.access(target, os.W_OK):
        raise _refused(path, "it is read-only")
    mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
    return _Plan(update=update, target=target, mode=mode, missing_folders=missing)


def _missing_folders(path: Path, folder: Path) -> tuple[Path, ...]:
    """The folders to make before `folder` exists, outermost first; refused when a file (or
    anything else that is not a folder) stands where one must be."""
    missing: list[Path] = []
    current = folder
    while True:
        try:
            info = current.stat()
        except FileNotFoundError:
            missing.append(current)
            current = current.parent
            continue
        except OSError as error:
            raise _refused(path, f"{current}: {error.strerror}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise _refused(path, f"{current} is not a folder")
        return tuple(reversed(missing))


def _apply(plans: list[_Plan]) -> None:
    made: list[Path] = []
    temps: dict[Path, str] = {}
    renamed: list[_Plan] = []
    try:
        for plan in plans:
            for folder in plan.missing_folders:
                if not folder.is_dir():
                    folder.mkdir()
                    made.append(folder)
            temps[plan.target] = _temp_file(plan)
        for plan in plans:
            os.replace(temps[plan.target], plan.target)
            del temps[plan.target]
            renamed.append(plan)
    except OSError as error:
        _undo(temps, renamed, made)
        failed = next((p.update.path for p in plans if p not in renamed), plans[0].update.path)
        raise MigrateError(
            f"{failed}: cannot write: {error.strerror or error}",
            "every file was left as it was" if _undone(renamed) else "see the files named above",
        ) from None


def _temp_file(plan: _Plan) -> str:
    descriptor, temp = tempfile.mkstemp(
        dir=plan.target.parent, prefix=temp_name(plan.target), suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(plan.update.after.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, plan.mode)
    except BaseException:
        os.unlink(temp)
        raise
    return temp


def _undo(temps: dict[Path, str], renamed: list[_Plan], made: list[Path]) -> None:
    for temp in temps.values():
        try:
            os.unlink(temp)
        except OSError:
            pass
    for plan in reversed(renamed):
        try:
            if plan.update.before is None:
                plan.target.unlink()
            else:
                plan.target.write_text(plan.update.before, encoding="utf-8")
        except OSError:
            pass
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            pass


def _undone(renamed: list[_Plan]) -> bool:
    return all(_read(p.target) == p.update.before for p in renamed)


def _read(target: Path) -> str | None:
    """The file's text as migrate would read it (bounded); None when it cannot be."""
    try:
        data = read_bounded(target, MAX_FILE_SIZE)
        return data.decode("utf-8") if data is not None else None
    except (OSError, UnicodeDecodeError, RefusedInput):
        return None


def _refused(path: Path, reason: str) -> RefusedInput:
    return RefusedInput(f"{path}: cannot be written: {reason}", _NOTHING_WRITTEN)


def _default_mode() -> int:
    """The mode a new file gets from the umask, as `open` would create it."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
