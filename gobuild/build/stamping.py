"""The values of ldflags placeholders (gobuild.stamp), looked up once when a build starts.

{go_version} is the Go that builds; {env:NAME} the caller's environment; {module_version} the
newest tag `vX.Y.Z` reachable from HEAD for the module (a module in a subfolder `sub/` of the
repository takes tags `sub/vX.Y.Z`, as Go's module versions do), found with `git describe`;
`(devel)`, as Go records for a main module, when there is no git, no repository or no tag.
{inputs} is filled in per target after its fingerprint (gobuild.plan.BuildSettings.linked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from gobuild import stamp
from gobuild.build.gotool import GoTool
from gobuild.build.processes import Processes
from gobuild.errors import GobuildError, UsageError
from gobuild.manifest import Function
from gobuild.plan import Target
from gobuild.report import Reporter

DEVEL = "(devel)"


def stamp_targets(targets: Sequence[Target], go: GoTool, environ: Mapping[str, str],
                  reporter: Reporter) -> tuple[Target, ...]:
    """The targets with their functions' placeholder values (all but {inputs}) in `stamps`.

    Raises UsageError (exit 2) for an {env:NAME} that is not set or a value that cannot be
    stamped (a space or a quote)."""
    versions: dict[Path, str] = {}
    stamped: dict[str, Function] = {}
    result = []
    for target in targets:
        function = target.function
        if function.name not in stamped:
            stamped[function.name] = _stamped(function, go, environ, versions, reporter)
        result.append(replace(target, function=stamped[function.name]))
    return tuple(result)


def _stamped(function: Function, go: GoTool, environ: Mapping[str, str], versions: dict[Path, str],
             reporter: Reporter) -> Function:
    values: list[tuple[str, str]] = []
    for key in stamp.placeholders(function.ldflags):
        if key == stamp.INPUTS:
            continue
        if key == stamp.GO_VERSION:
            value = go.version
        elif key == stamp.MODULE_VERSION:
            if function.module_dir not in versions:
                versions[function.module_dir] = module_version(function.module_dir, environ, go.processes, reporter)
            value = versions[function.module_dir]
        else:
            name = key.partition(":")[2]
            if name not in environ:
                raise UsageError(f"{function.name}: ldflags read {{{key}}}, and {name} is not set",
                                 hint=f"set {name} in the environment, or take the placeholder out of ldflags")
            value = environ[name]
        try:
            stamp.resolve(f"{{{key}}}", {key: value})  # the same check the linker's ldflags get
        except stamp.StampError as error:
            raise UsageError(f"{function.name}: ldflags: {error.message}", hint=error.hint) from None
        values.append((key, value))
    return replace(function, stamps=tuple(sorted(values))) if values else function


def module_version(module_dir: Path, environ: Mapping[str, str], processes: Processes,
                   reporter: Reporter) -> str:
    """{module_version} of a module: the newest reachable `v*` tag (with the module's folder as
    its prefix), or (devel) with a warning that says why."""
    def git(*args: str) -> tuple[int, str, str]:
        try:
            done = processes.run(["git", "-C", str(module_dir), *args], cwd=module_dir,
                                 env={**environ, "GIT_OPTIONAL_LOCKS": "0"})
        except GobuildError as error:  # no git on PATH
            return 127, "", error.message
        return done.returncode, done.stdout.strip(), done.stderr.strip()

    status, prefix, said = git("rev-parse", "--show-prefix")
    if status == 0:
        status, tag, said = git("describe", "--tags", "--abbrev=0", "--match", f"{prefix}v[0-9]*")
        if status == 0 and tag.startswith(prefix):
            return tag[len(prefix):]
    reason = said.splitlines()[-1].removeprefix("fatal: ") if said else "git found no tag"
    reporter.warning(f"{{module_version}} is {DEVEL} for {module_dir}: {reason} "
                     f"(tag a commit {prefix}vX.Y.Z; a shallow clone has no tags)")
    return DEVEL
