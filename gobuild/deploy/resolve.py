"""A function's code, found the way the deploying tool finds it, as one zip file to verify.

A local zip is used in place; a folder is zipped as `sam deploy` would (gobuild.deploy.folder),
or, when `sam build` builds it (Metadata BuildMethod), taken from .aws-sam/build/<LogicalId>;
an S3 object is downloaded (gobuild.deploy.s3code); an S3 key from `gobuild publish --format`
is the local zip gobuild built, checked against published.json's CodeSha256. What cannot be
resolved (an intrinsic, a variable) is reported with its line and never guessed.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gobuild.deploy.folder import FolderTooBig, zip_folder
from gobuild.deploy.model import CodeRef, Finding, FunctionDef, Place, finding
from gobuild.deploy.outputs import Outputs, OutputsFinder, code_sha256
from gobuild.deploy.s3code import S3CodeError, S3Reader
from gobuild.files import sha256_file

if TYPE_CHECKING:
    from gobuild.publish.model import Published

SAM_BUILD_DIR = Path(".aws-sam") / "build"


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """The zip to verify (None when there is none), what it is called, and what resolving found."""

    zip: Path | None
    label: str = ""
    findings: tuple[Finding, ...] = ()
    resolved: bool = True
    local: bool = False  # a zip the user keeps (not a scratch file): its verdict may be remembered


class Resolver:
    """Resolves code for many functions; folders zipped and objects downloaded once each."""

    def __init__(self, *, base: Path, scratch: Path, s3: S3Reader) -> None:
        self.base = base
        self.scratch = scratch
        self.s3 = s3
        self.outputs = OutputsFinder()
        self._lock = threading.Lock()
        self._zipped: dict[Path, Path | tuple[str, str]] = {}  # folder → its zip, or (code, why not)

    def shown(self, path: Path) -> str:
        """A path as the user should read it: relative to where check runs, when inside it."""
        # Lexically: terraform/../dist/x.zip reads as dist/x.zip (display only; files are opened as given).
        absolute = Path(os.path.normpath(path if path.is_absolute() else self.base / path))
        try:
            return absolute.relative_to(self.base).as_posix() or "."
        except ValueError:
            return absolute.as_posix()

    def resolve(self, fn: FunctionDef) -> Resolved:
        code = fn.code
        if code.kind == "missing":
            return Resolved(zip=None, findings=(finding("GB411", f"{fn.name} has {code.detail}", place=code.place,
                                                        fix=_MISSING_FIX[fn.format]),))
        if code.kind == "published" and code.published:
            outputs = self.outputs.for_definition(fn.base_dir)
            entry = outputs.entry(*code.published)
            if entry is None:
                return _unresolved(code.place, f"{'/'.join(code.published)} is not in "
                                   f"{self.shown(outputs.out_dir / 'published.json')}",
                                   "run `gobuild publish --format tfvars`")
            return self.published(entry, outputs, code.place)
        if code.kind == "unresolved":
            if code.parameter:
                outputs = self.outputs.for_definition(fn.base_dir)
                entry = outputs.by_parameter(code.parameter)
                if entry is not None:
                    return self.published(entry, outputs, code.place)
            return _unresolved(code.place, f"code not resolved: {code.detail}", "")
        if code.kind == "s3" and code.bucket is not None and code.key is not None:
            return self.download(code.bucket, code.key, code.version, code.place)
        if code.kind == "path" and code.path is not None:
            try:
                return self.local(fn, code)
            except OSError as error:  # the zip exists but cannot be read (permissions, I/O)
                return Resolved(zip=None, findings=(finding(
                    "GB411", f"cannot read {self.shown(code.path)}: {error.strerror or error}", place=code.place,
                    fix="make it readable, or fix the path"),))
        return Resolved(zip=None, resolved=False)

    def local(self, fn: FunctionDef, code: CodeRef) -> Resolved:
        assert code.path is not None
        path = code.path
        if code.built_by:
            built = fn.base_dir / SAM_BUILD_DIR / fn.name
            if not built.is_dir():
                return _unresolved(code.place, f"{self.shown(path)} is built by {code.built_by} into "
                                   f"{self.shown(built)}, which does not exist yet",
                                   "run `sam build`, then `gobuild check` again")
            return self.folder(built, code.place, f"{self.shown(built)} (from sam build)")
        packager = _DEPLOYER.get(code.made_by, _PACKAGER[fn.format])
        if path.is_dir():
            return self.folder(path, code.place, f"{self.shown(path)}/ (zipped as {packager} would)")
        if not path.exists():
            fix = f"run `{code.made_by}` again" if code.made_by else "build it first (gobuild build), or fix the path"
            return Resolved(zip=None, findings=(finding(
                "GB411", f"{self.shown(path)} does not exist", place=code.place, fix=fix),))
        if not path.is_file():
            return Resolved(zip=None, findings=(finding(
                "GB411", f"{self.shown(path)} is not a file", place=code.place, fix="point at the zip"),))
        return Resolved(zip=path, label=self.shown(path), local=True,
                        findings=tuple(self.changed_since_build(path, code.place)))

    def changed_since_build(self, path: Path, place: Place) -> list[Finding]:
        """A zip listed in artifacts.json that no longer holds what gobuild built."""
        artifact = self.outputs.at(path.parent).artifact_at(path)
        if artifact is None:
            return []
        digest = sha256_file(path)
        if digest == artifact.sha256:
            return []
        return [finding("GB414", f"{self.shown(path)} changed since gobuild build wrote it (sha256 "
                        f"{digest[:12]}…, artifacts.json says {artifact.sha256[:12]}…)", place=place,
                        fix="run `gobuild build` again")]

    def folder(self, folder: Path, place: Place, label: str) -> Resolved:
        with self._lock:
            if folder not in self._zipped:
                dest = self.scratch / f"folder-{len(self._zipped)}.zip"
                try:
                    zip_folder(folder, dest)
                    self._zipped[folder] = dest
                except FolderTooBig as error:
                    self._zipped[folder] = ("GB417", f"{self.shown(folder)} holds {error}: Lambda unzips at most "
                                            "250 MiB")
                except OSError as error:
                    unread = self.shown(Path(error.filename)) if error.filename else self.shown(folder)
                    self._zipped[folder] = ("GB411", f"cannot read {unread}: {error.strerror or error}")
            zipped = self._zipped[folder]
        if isinstance(zipped, tuple):
            code, message = zipped
            return Resolved(zip=None, label=label, findings=(finding(
                code, message, place=place, fix="point CodeUri at the function's own folder or zip"),))
        return Resolved(zip=zipped, label=label)

    def published(self, entry: Published, outputs: Outputs, place: Place) -> Resolved:
        """The zip behind a published.json entry: gobuild's local zip when it is still there."""
        artifact = outputs.artifact(entry.name, entry.arch)
        local = outputs.out_dir / artifact.path if artifact else None
        if local is None or not local.is_file():
            return self.download(entry.bucket, entry.key, entry.version_id, place, code_sha256=entry.code_sha256)
        label = f"{self.shown(local)} (published as {entry.uri})"
        try:
            actual = code_sha256(local)
        except OSError as error:
            return Resolved(zip=None, label=label, findings=(finding(
                "GB411", f"cannot read {self.shown(local)}: {error.strerror or error}", place=place,
                fix="make it readable, or run `gobuild build`"),))
        if actual == entry.code_sha256:
            return Resolved(zip=local, label=label, local=True)
        return Resolved(zip=local, label=label, local=True, findings=(finding(
            "GB415", f"published.json says {entry.uri} has CodeSha256 {entry.code_sha256}, but "
            f"{self.shown(local)} has {actual}: the stack would deploy another build than this one",
            place=place, fix="run `gobuild publish` (with the same --format) after `gobuild build`"),))

    def download(self, bucket: str, key: str, version: str | None, place: Place, *,
                 code_sha256: str | None = None) -> Resolved:
        uri = f"s3://{bucket}/{key}" + (f"?versionId={version}" if version else "")
        try:
            path = self.s3.fetch(bucket, key, version, code_sha256=code_sha256)
        except S3CodeError as error:
            if error.missing:
                return Resolved(zip=None, label=uri, findings=(finding(
                    "GB411", str(error), place=place, fix="upload the zip (gobuild publish), or fix the key"),))
            return Resolved(zip=None, label=uri, resolved=False, findings=(finding(
                "GB412", f"cannot read {uri}: {error}", place=place,
                fix="check --endpoint-url, --region, --profile and the credentials"),))
        return Resolved(zip=path, label=uri)


def _unresolved(place: Place, message: str, fix: str) -> Resolved:
    return Resolved(zip=None, resolved=False, findings=(finding("GB410", message, place=place, fix=fix),))


_MISSING_FIX = {
    "sam": "set CodeUri to the function's zip or folder",
    "cloudformation": "set Code (S3Bucket and S3Key)",
    "serverless": "set package.artifact",
    "terraform": "set filename, or s3_bucket and s3_key",
}
# What zips a folder that a tool made (CodeRef.made_by) when it deploys it.
_DEPLOYER = {"cdk synth": "cdk deploy"}
_PACKAGER = {
    "sam": "sam deploy", "cloudformation": "aws cloudformation package",
    "serverless": "serverless", "terraform": "terraform",
}
