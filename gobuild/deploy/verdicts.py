"""Verify's verdicts on local zips, remembered between runs of `gobuild check`.

Verifying a zip inflates all of it (about 0.1 s of CPU for a 6 MB Go binary); a pre-commit
hook checks the same zips again and again. A verdict is kept per zip file and architecture
under the zip's stat key (size, mtime, inode, ctime: what git's index trusts) and the
fingerprint of gobuild's verify code, so a rebuilt zip or another gobuild re-verifies. A zip
modified less than RACY_SECONDS ago is not remembered (its mtime could repeat). The file lives in
the user's cache folder ($GOBUILD_CHECK_CACHE, else $XDG_CACHE_HOME/gobuild or ~/.cache/gobuild);
a damaged one counts as empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from gobuild import __version__
from gobuild.check.verify import Finding, Report
from gobuild.files import RACY_SECONDS, parse_json, write_atomic

FILE_NAME = "check-verdicts.json"
MAX_ENTRIES = 4000
SCHEMA = 1


def default_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("GOBUILD_CHECK_CACHE"):
        return Path(env["GOBUILD_CHECK_CACHE"])
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "gobuild" / FILE_NAME


def rules_fingerprint() -> str:
    """gobuild's version and the source of its verify rules: any change re-verifies every zip."""
    import gobuild.check

    digest = hashlib.sha256(__version__.encode())
    for source in sorted(Path(gobuild.check.__path__[0]).glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


class VerdictCache:
    """Reads the remembered verdicts once; `save` writes them back with this run's added."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rules = rules_fingerprint()
        self._lock = threading.Lock()
        self._entries = self._load()
        self._added = False

    def _load(self) -> dict[str, Any]:
        try:
            document = parse_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("schema") != SCHEMA or document.get("rules") != self.rules:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, zip_path: Path, arch: str | None) -> Report | None:
        stat = _stat(zip_path)
        with self._lock:
            entry = self._entries.get(_key(zip_path, arch))
        if not isinstance(entry, dict) or stat is None or entry.get("stat") != stat:
            return None
        try:
            findings = tuple(Finding(**found) for found in entry["findings"])
            return Report(archive=str(zip_path), findings=findings, arch=entry["arch"],
                          go_version=entry["go_version"])
        except (KeyError, TypeError):
            return None

    def put(self, zip_path: Path, arch: str | None, report: Report) -> None:
        stat = _stat(zip_path)
        if stat is None or time.time() - stat[1] / 1e9 < RACY_SECONDS:
            return
        entry = {"stat": stat, "arch": report.arch, "go_version": report.go_version, "used": time.time(),
                 "findings": [{"code": f.code, "severity": f.severity, "message": f.message, "fix": f.fix,
                               "entry": f.entry} for f in report.findings]}
        with self._lock:
            self._entries[_key(zip_path, arch)] = entry
            self._added = True

    def save(self) -> None:
        """Writes the file when this run learned anything; a cache that cannot be written is skipped."""
        with self._lock:
            if not self._added:
                return
            kept = sorted(self._entries.items(), key=lambda item: -float(item[1].get("used", 0)))[:MAX_ENTRIES]
            document = {"schema": SCHEMA, "rules": self.rules, "entries": dict(kept)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(document).encode("utf-8"))
        except OSError:
            pass


def _key(zip_path: Path, arch: str | None) -> str:
    return f"{zip_path.resolve()}|{arch or ''}"


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
