"""What still stands in the way of a Terraform Go function on provided.al2023, read from the
.tf file as it is (or as migrate would write it), so a second run reports the same: code in
S3, a prebuilt zip that must hold bootstrap, a zip shared by several functions, an
`archive_file` that zips a binary not named bootstrap (or that nothing uses any more), an
aws-lambda-go too old for provided.*.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gobuild.lambda_facts import BOOTSTRAP, TARGET_RUNTIME
from gobuild.migrate.functions import relative_path
from gobuild.migrate.gocode import BUILD_ZIP_FIX, prebuilt_zip_ready
from gobuild.migrate.hcl import Attribute, Block, HclFile, Token
from gobuild.migrate.locate import module_root
from gobuild.migrate.model import ERROR, HANDLER, INFO, Notice
from gobuild.migrate.terraform_refs import local_path, module_folder, references, variables_in
from gobuild.migrate.terraform_sites import ARCHIVE, CodeHints, Site, callers, hints, sites
from gobuild.migrate.workspace import Resolved, Workspace

_ZIP_FIX = "give each function its own zip: `gobuild migrate --build gobuild` points each at dist/<name>-<arch>.zip"


def check_file(hcl: HclFile, workspace: Workspace, *, line_of: Callable[[int], int]) -> list[Notice]:
    """Notes about the file's Go functions on provided.al2023 with handler bootstrap."""
    return _Checks(hcl, workspace, line_of).run()


class _Checks:
    def __init__(self, hcl: HclFile, workspace: Workspace, line_of: Callable[[int], int]) -> None:
        self.hcl = hcl
        self.workspace = workspace
        self.line_of = line_of
        self.module = module_folder(workspace, hcl.path.parent, current=hcl)
        self.in_go_module = (module_root(hcl.path.parent) / "go.mod").is_file()
        self.notices: list[Notice] = []
        self.zips: dict[str, list[tuple[Site, Attribute]]] = {}
        self.archives: set[int] = set()

    def run(self) -> list[Notice]:
        go_sites = [(site, code) for site in sites(self.hcl, self.workspace) if (code := self._go(site))]
        for site, code in go_sites:
            self._code(site, code)
            note_go = self.workspace.lambda_note(self.workspace.root_for(code.code, self.hcl.path.parent))
            self.notices += [note_go] if note_go else []
        self._shared_zips()
        if go_sites:
            self._unused_archives()
        return self.notices

    def _go(self, site: Site) -> CodeHints | None:
        """The code hints of a site that looks like a migrated Go function: provided.al2023 with
        handler bootstrap, in a Go module or with its code in one."""
        runtime, handler = site.get("runtime"), site.get("handler")
        if runtime is None or runtime.literal != TARGET_RUNTIME or handler is None or handler.literal != HANDLER:
            return None
        code = hints(site, self.module)
        folders = [f for f in (code.code, code.binary.parent if code.binary else None) if f is not None]
        filename = local_path(site.get("filename"), self.module)
        if (
            self.in_go_module
            or any((module_root(f) / "go.mod").is_file() for f in folders)
            or (filename is not None and self.workspace.is_artifact(filename))
        ):
            return code
        return None

    def _code(self, site: Site, code: CodeHints) -> None:
        filename, bucket = site.get("filename"), site.get("s3_bucket")
        if bucket is not None:
            self._s3(site, bucket)
        elif code.archive is not None:
            self._archive(site, code)
        elif filename is not None:
            path = local_path(filename, self.module)
            if path is None:
                self.note(
                    filename.name,
                    f"{site.label}: its zip is {filename.expression(self.hcl.text)}; it must hold the "
                    "binary named bootstrap",
                    "point filename at gobuild's zip (`gobuild migrate --build gobuild` does)",
                )
            elif not self.workspace.is_artifact(path):
                self.zips.setdefault(str(path), []).append((site, filename))

    def _s3(self, site: Site, bucket: Attribute) -> None:
        calls = callers(site, self.hcl, self.workspace)
        key = site.get("s3_key")
        where = key or bucket
        whose = site.label
        name = '"<name>"'
        code = hints(site, self.module)
        found = self.workspace.resolve(code=code.code, start=self.hcl.path.parent, names=code.names, binary=code.binary)
        if isinstance(found, Resolved):
            name = f'"{found.name}"'
        if calls:
            whose = f"{site.label} (a function for each of {len(calls)} calls: " + ", ".join(
                f"module.{c.label}" for c in calls[:4]
            ) + ("..." if len(calls) > 4 else "") + ")"
            name = f"var.{variables_in(site.get('function_name'))[0]}"
        self.note(
            where.name,
            f"{whose}: its code is in S3 ({bucket.expression(self.hcl.text)}); that zip must hold the "
            "binary named bootstrap",
            "build it with `gobuild build`, upload it with `gobuild publish --format tfvars`, and set "
            f"s3_bucket and s3_key from var.gobuild_artifacts[{name}][\"<arch>\"] "
            "(published.tfvars.json)",
        )

    def _archive(self, site: Site, code: CodeHints) -> None:
        archive = code.archive
        assert archive is not None
        source = archive.attributes.get("source_file")
        if source is None or code.binary is None or code.binary.name == BOOTSTRAP or id(archive) in self.archives:
            return
        self.archives.add(id(archive))
        text = self.module.text_of(archive)
        self.note(
            source.name,
            f"{site.label}: its zip is data.{ARCHIVE}.{archive.labels[-1]}, whose source_file "
            f"{source.expression(text)} puts {code.binary.name} in the zip, but {TARGET_RUNTIME} "
            f"runs the file {BOOTSTRAP} at the zip's root",
            f"build the binary as {BOOTSTRAP} and zip that (source_file = \".../{BOOTSTRAP}\"), "
            "or point filename at gobuild's zip (`gobuild migrate --build gobuild` does)",
            ERROR,
            file=archive,
        )

    def _shared_zips(self) -> None:
        for path, group in self.zips.items():
            for site, filename in group:
                others = [s.label for s, _ in group if s is not site]
                if others:
                    self.note(
                        filename.name,
                        f"{site.label} shares its zip with {', '.join(others)}, but one zip holds one "
                        "bootstrap: they would all run the same binary",
                        _ZIP_FIX,
                        ERROR,
                    )
                elif (ready := prebuilt_zip_ready(Path(path))) is not True:
                    self.note(
                        filename.name,
                        f"{site.label}: its code is the prebuilt zip {filename.expression(self.hcl.text)}; it "
                        + ("holds no bootstrap" if ready is False else "must hold the binary named bootstrap"),
                        BUILD_ZIP_FIX.format(key="filename"),
                        ERROR if ready is False else INFO,
                    )

    def _unused_archives(self) -> None:
        """An archive_file no function reads any more still runs at `terraform plan`, and
        fails there when its binary (no longer built) is missing."""
        for block in self.hcl.blocks:
            if block.kind != "data" or block.labels[:1] != (ARCHIVE,) or len(block.labels) < 2:
                continue
            binary = local_path(block.attributes.get("source_file"), self.module)
            if binary is None or binary.name == BOOTSTRAP or references(self.module, ARCHIVE, block.labels[1]):
                continue
            zipped = relative_path(binary, self.hcl.path.parent)
            self.note(
                block.opening,
                f"data.{ARCHIVE}.{block.labels[1]} is no longer used: it zips {zipped}, "
                "which gobuild's zip replaces; `terraform plan` still reads it and fails when it is missing",
                f"remove data.{ARCHIVE}.{block.labels[1]}",
            )

    def note(
        self, token: Token, message: str, replacement: str, level: str = INFO, *, file: Block | None = None
    ) -> None:
        path = self.hcl.path
        line = self.line_of(token.start)
        if file is not None and file not in self.hcl.blocks:
            path = next(h.path for h in self.module.files if file in h.blocks)
            line = token.line
        self.notices.append(Notice(file=path, line=line, message=message, replacement=replacement, level=level))
