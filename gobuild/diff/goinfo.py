"""What differs in the Go build information of two binaries, and in the settings artifacts.json
recorded for them: the Go version, build settings (every -X value on its own), the main package
and module, and each dependency as `path old → new`.

Go leaves -ldflags out of the build information of -trimpath builds (which gobuild always
makes), so for gobuild's own zips the -X values come from artifacts.json's recorded settings
when both sides have one, and otherwise from the string data (see gosym.stringdata).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gobuild.check.buildinfo import BuildInfo, Module
from gobuild.diff.model import Difference

# Build settings in the order they are explained; others follow alphabetically.
SETTING_ORDER = (
    "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOARM", "GO386", "GOEXPERIMENT", "-compiler", "-buildmode",
    "-tags", "-ldflags", "-trimpath", "CGO_ENABLED", "-gcflags", "-asmflags", "-race", "-msan", "-asan",
    "-pgo", "DefaultGODEBUG", "vcs", "vcs.revision", "vcs.time", "vcs.modified",
)  # fmt: skip
X_FLAGS = ("-X", "--X")
LIST_SETTINGS = ("DefaultGODEBUG", "GOEXPERIMENT")  # comma lists: name the items that changed


@dataclass(frozen=True, kw_only=True)
class Ldflags:
    """An -ldflags string split into its -X assignments and everything else."""

    assignments: tuple[tuple[str, str], ...]  # (importpath.name, value), in order
    others: tuple[str, ...]


def parse_ldflags(text: str) -> Ldflags:
    """Splits -ldflags as cmd/go does (shell-like quoting): "-s -w -X main.version=1.2.3"."""
    try:
        words = shlex.split(text)
    except ValueError:  # unbalanced quotes: keep the text as one opaque flag
        return Ldflags(assignments=(), others=(text,))
    assignments: list[tuple[str, str]] = []
    others: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in X_FLAGS and index + 1 < len(words):
            value, index = words[index + 1], index + 2
        elif word.startswith(tuple(f"{flag}=" for flag in X_FLAGS)):
            value, index = word.split("=", 1)[1], index + 1
        else:
            others.append(word)
            index += 1
            continue
        key, equals, assigned = value.partition("=")
        if equals:
            assignments.append((key, assigned))
        else:
            others.extend(("-X", value))
    return Ldflags(assignments=tuple(assignments), others=tuple(others))


def ldflags_differences(old: str, new: str, *, level_kind: str = "ldflags") -> list[Difference]:
    """Each -X key that changed, was added or removed, then the other flags if they differ."""
    a, b = parse_ldflags(old), parse_ldflags(new)
    old_x, new_x = dict(a.assignments), dict(b.assignments)
    found: list[Difference] = []
    for key in [*old_x, *(k for k in new_x if k not in old_x)]:
        before, after = old_x.get(key), new_x.get(key)
        if before == after:
            continue
        if before is None:
            message = f"-X {key} added ({after})"
        elif after is None:
            message = f"-X {key} removed (was {before})"
        else:
            message = f"-X {key} changed ({before} → {after})"
        found.append(Difference(level="build", kind="ldflags-x", subject=key, message=message, old=before, new=after))
    if a.others != b.others:
        before_text, after_text = shlex.join(a.others), shlex.join(b.others)
        found.append(Difference(level="build", kind=level_kind, subject="-ldflags",
                                message=f"-ldflags {before_text or '(none)'} → {after_text or '(none)'}",
                                old=before_text, new=after_text))
    return found


def compare_buildinfo(old: BuildInfo, new: BuildInfo) -> list[Difference]:
    """Differences in the Go version, settings, main package and module, and dependencies."""
    found: list[Difference] = []
    if old.go_version != new.go_version:
        found.append(Difference(level="build", kind="go-version", subject="go",
                                message=f"Go version {old.go_version or '(unknown)'} → {new.go_version or '(unknown)'}",
                                old=old.go_version, new=new.go_version))
    found += _settings(dict(old.settings), dict(new.settings))
    if old.path != new.path:
        found.append(Difference(level="build", kind="main-package", subject="path",
                                message=f"main package {old.path or '(none)'} → {new.path or '(none)'}",
                                old=old.path, new=new.path))
    if old.main != new.main and old.main is not None and new.main is not None and old.main.path == new.main.path:
        found += _module_change(old.main, new.main, kind="main-module", prefix="main module ")
    elif old.main != new.main:
        found.append(Difference(level="build", kind="main-module", subject="mod",
                                message=f"main module {_module_text(old.main)} → {_module_text(new.main)}"))
    found += compare_dependencies(old.deps, new.deps)
    return found


def _settings(old: Mapping[str, str], new: Mapping[str, str]) -> list[Difference]:
    rank = {key: i for i, key in enumerate(SETTING_ORDER)}
    keys = sorted(set(old) | set(new), key=lambda key: (rank.get(key, len(rank)), key))
    found: list[Difference] = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "-ldflags":
            found += ldflags_differences(before or "", after or "")
        elif key == "-tags":
            found.append(_tags(before or "", after or ""))
        elif key in LIST_SETTINGS and before is not None and after is not None:
            found.append(_list_setting(key, before, after))
        else:
            found.append(Difference(level="build", kind="setting", subject=key,
                                    message=_change_text(key, before, after), old=before, new=after))
    return found


def _tags(before: str, after: str) -> Difference:
    old_tags, new_tags = [t for t in before.split(",") if t], [t for t in after.split(",") if t]
    changes = [f"+{t}" for t in new_tags if t not in old_tags] + [f"-{t}" for t in old_tags if t not in new_tags]
    detail = f" ({', '.join(changes)})" if changes else " (order)"
    return Difference(level="build", kind="setting", subject="-tags",
                      message=f"-tags {before or '(none)'} → {after or '(none)'}{detail}", old=before, new=after)


def _list_setting(key: str, before: str, after: str) -> Difference:
    old_items, new_items = [t for t in before.split(",") if t], [t for t in after.split(",") if t]
    changes = [f"+{t}" for t in new_items if t not in old_items] + [f"-{t}" for t in old_items if t not in new_items]
    return Difference(level="build", kind="setting", subject=key,
                      message=f"{key} changed ({', '.join(changes) or 'order'})", old=before, new=after)


def _change_text(key: str, before: str | None, after: str | None) -> str:
    if before is None:
        return f"{key}={after} added"
    if after is None:
        return f"{key} removed (was {before})"
    return f"{key} {before} → {after}"


def _module_text(module: Module | None) -> str:
    if module is None:
        return "(none)"
    text = f"{module.path} {module.version}".strip()
    if module.replace is not None:
        text += f" => {_module_text(module.replace)}"
    return text


def compare_dependencies(old: Iterable[Module], new: Iterable[Module]) -> list[Difference]:
    """Modules added, removed, or changed in version, replacement or checksum."""
    before, after = {m.path: m for m in old}, {m.path: m for m in new}
    found: list[Difference] = []
    for path, module in after.items():
        if path not in before:
            found.append(Difference(level="build", kind="dependency-added", subject=path,
                                    message=f"{path} {module.effective_version} added", new=module.effective_version))
    for path, module in before.items():
        if path not in after:
            found.append(Difference(level="build", kind="dependency-removed", subject=path,
                                    message=f"{path} {module.effective_version} removed", old=module.effective_version))
        elif module != after[path]:
            found += _module_change(module, after[path], kind="dependency", prefix="")
    return found


def _module_change(a: Module, b: Module, *, kind: str, prefix: str) -> list[Difference]:
    path = a.path
    found: list[Difference] = []
    old_replace, new_replace = _replace_text(a.replace), _replace_text(b.replace)
    if a.version != b.version:
        replaced = f" (replaced by {old_replace} → {new_replace})" if old_replace != new_replace else ""
        found.append(Difference(level="build", kind=kind, subject=path,
                                message=f"{prefix}{path} {a.version} → {b.version}{replaced}", old=a.version,
                                new=b.version))
    elif old_replace != new_replace:
        found.append(Difference(level="build", kind=f"{kind}-replace" if kind == "dependency" else kind, subject=path,
                                message=f"{prefix}{path} {a.version}: replaced by {old_replace} → {new_replace}",
                                old=old_replace, new=new_replace))
    old_sum, new_sum = _sums(a), _sums(b)
    if old_sum != new_sum and a.version == b.version and old_replace == new_replace:
        found.append(Difference(level="build", kind=f"{kind}-checksum" if kind == "dependency" else kind,
                                subject=path, message=f"{prefix}{path} {a.version}: checksum {old_sum or '(none)'} → "
                                f"{new_sum or '(none)'} (same version, other contents)", old=old_sum, new=new_sum))
    return found


def _replace_text(module: Module | None) -> str:
    return "(nothing)" if module is None else f"{module.path} {module.version}".strip()


def _sums(module: Module) -> str:
    return module.replace.sum if module.replace is not None and module.replace.sum else module.sum


def compare_recorded(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    """Differences in the `settings` artifacts.json recorded (ldflags, tags, env, trimpath...)."""
    found: list[Difference] = []
    for key in sorted(set(old) | set(new), key=lambda k: (k != "ldflags", k)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "ldflags":
            found += ldflags_differences(str(before or ""), str(after or ""), level_kind="recorded-setting")
            continue
        if key == "stamps" and isinstance(before, dict) and isinstance(after, dict):
            found += stamp_differences(before, after)
            continue
        found.append(Difference(level="build", kind="recorded-setting", subject=key,
                                message=f"{key} {_value_text(before)} → {_value_text(after)} (artifacts.json)",
                                old=_value_text(before), new=_value_text(after)))
    return found


def stamp_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Difference]:
    """Each ldflags placeholder whose value changed between two builds ({env:NAME}, {module_version},
    {go_version}): the cause of the -X values stamped from it."""
    found = []
    for name in sorted(set(old) | set(new)):
        before, after = _value_text(old.get(name)), _value_text(new.get(name))
        if before != after:
            found.append(Difference(level="build", kind="stamp", subject=f"{{{name}}}",
                                    message=f"{{{name}}} changed ({before} → {after}), which ldflags stamp",
                                    old=before, new=after, details=("artifacts.json's stamps record the value",)))
    return found


def _value_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in sorted(value.items())) or "(none)"
    return str(value)
