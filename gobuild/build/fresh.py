"""Freshness by content: the inputs fingerprint each target's sources give now.

Publish (and invoke's warning) compare these with the `inputs` recorded in artifacts.json,
so a zip counts as current exactly when `gobuild build` would find it up to date: the same
fingerprints as incremental builds (gobuild.build.fingerprint), never file times. That holds
whatever else was built since (a `build --only` rewrites artifacts.json but not other
targets' fingerprints), wherever out_dir is (even "."), and for edits to shared packages.

It is cheap when it can be: while a target's load key is unchanged, the inputs `go list`
reported at its last build still hold, and the fingerprint comes from hashes the state file
already knows by stat. Otherwise (imports or file lists changed, or no state: a fresh
checkout, a merged dist/) `go list` runs once per group of targets with the same settings.
The Go and zig versions are the ones artifacts.json records: the question is whether the
sources changed, and a publishing job need not have the build's toolchain. Nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gobuild.build.fingerprint import Inputs, State, fingerprint, load_key, load_state
from gobuild.build.golist import list_inputs
from gobuild.build.gotool import probe
from gobuild.build.package import zip_timestamp
from gobuild.build.processes import Processes
from gobuild.errors import BuildError, StaleError
from gobuild.manifest import Manifest
from gobuild.plan import BuildSettings, Target, settings_for


@dataclass(frozen=True, kw_only=True)
class Current:
    """A target's inputs fingerprint now, and the files whose content differs from what the
    last build here recorded (module-relative; empty when unknown)."""

    fingerprint: str
    changed: tuple[str, ...] = ()


def current_fingerprints(manifest: Manifest, targets: Iterable[Target], *, go_version: str,
                         environ: Mapping[str, str], zig_version: str | None = None) -> dict[tuple[str, str], Current]:
    """Each target's inputs fingerprint as its sources give it now (see the module docstring).

    Raises ToolError when `go list` is needed and there is no go, and StaleError when the
    inputs cannot be read (Go's output attached).
    """
    state = load_state(manifest.out_dir, manifest.root)
    before = {path: entry[3] for path, entry in state.hashes.entries.items()}
    epoch = zip_timestamp(dict(environ))
    result: dict[tuple[str, str], Current] = {}
    to_list: dict[BuildSettings, list[Target]] = {}
    for target in targets:
        settings = settings_for(target)
        recorded = state.inputs(target)
        try:
            if recorded is None or load_key(target, settings, recorded[0], state.hashes, go_version) != recorded[1]:
                to_list.setdefault(settings, []).append(target)
                continue
            print_now = fingerprint(target, settings, recorded[0], state.hashes, go_version, epoch,
                                    zig_version=zig_version)
        except OSError as error:
            raise _unreadable(error) from None
        result[target.key] = Current(fingerprint=print_now, changed=_changed(recorded[0], state, before))
    if to_list:
        go = probe(environ, next(iter(to_list)).module_dir, Processes())
        for settings, group in to_list.items():
            try:
                listed = list_inputs(go, settings, group)
            except BuildError as error:
                raise StaleError(f"cannot compare {', '.join(t.label for t in group)} with the sources: "
                                 f"{error.message}", hint="fix the error above, then run `gobuild build`",
                                 output=error.output) from None
            except ValueError as error:  # output that is not go list's JSON
                raise StaleError(f"cannot compare {', '.join(t.label for t in group)} with the sources: "
                                 f"go list printed something else than JSON ({error})",
                                 hint="run `gobuild build` to see Go's output") from None
            for target in group:
                if target in listed.errors:
                    raise StaleError(f"cannot compare {target.label} with the sources: go list cannot load it",
                                     hint="run `gobuild build` to see Go's output", output=listed.errors[target])
                try:
                    inputs = listed.inputs[target]
                    print_now = fingerprint(target, settings, inputs, state.hashes, go_version, epoch,
                                            zig_version=zig_version)
                    changed = _changed(inputs, state, before) if state.inputs(target) else ()
                except OSError as error:
                    raise _unreadable(error) from None
                result[target.key] = Current(fingerprint=print_now, changed=changed)
    return result


def _changed(inputs: Inputs, state: State, before: Mapping[str, object]) -> tuple[str, ...]:
    """The input files whose hash differs from the state's record, relative to the project."""
    return tuple(sorted(os.path.relpath(path, state.root) for path, _ in inputs.files
                        if path in before and before[path] != state.hashes.file(path)))


def _unreadable(error: OSError) -> StaleError:
    name = Path(error.filename).name if error.filename else "a source file"
    return StaleError(f"cannot read {error.filename or name}: {error.strerror}",
                      hint="fix the file, then run `gobuild build`")
