"""The checks a definition gets without its code: the runtime and AWS's dates for it on a given
day, Handler, Architectures, Timeout, MemorySize and the environment's reserved names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gobuild.deploy.model import Finding, FunctionDef, Value, finding
from gobuild.lambda_facts import (
    CUSTOM_RUNTIME,
    LAMBDA_DEFAULT_ARCH,
    MAX_MEMORY_MB,
    MAX_TIMEOUT,
    MIN_MEMORY_MB,
    MIN_TIMEOUT,
    OTHER_LANGUAGE_RUNTIMES,
    RUNTIME_DATES,
    TARGET_RUNTIME,
    Arch,
    RuntimeDates,
    is_reserved_env,
)

MIGRATE_FIX = f"use Runtime {TARGET_RUNTIME} with Handler bootstrap (`gobuild migrate --write` does it)"


@dataclass(frozen=True, kw_only=True)
class RuntimeVerdict:
    """What the runtime says about a function: skip it (another language), or judge it, and how."""

    findings: tuple[Finding, ...] = ()
    skip: str = ""  # why the function is not judged
    name: str = ""  # the runtime as declared
    custom: bool = False  # a customer-managed runtime: the code says whether it is Go
    known: bool = True  # False when the runtime is not resolved (then too the code decides)


def judge_runtime(fn: FunctionDef, today: date) -> RuntimeVerdict:
    """The runtime's verdict on `today`: AWS's dates for the OS-only and Go runtimes."""
    runtime = fn.runtime
    if runtime is None:
        if fn.default_runtime:
            return RuntimeVerdict(skip=f"no runtime: {fn.default_runtime}")
        return RuntimeVerdict(known=False, findings=(finding(
            "GB404", f"{fn.name} has no Runtime; Lambda requires one for a .zip function", place=fn.place,
            fix=f"add Runtime: {TARGET_RUNTIME}"),))
    if runtime.text is None:
        return RuntimeVerdict(known=False, findings=(finding(
            "GB410", f"Runtime is {runtime.written}: not resolved, so the code decides whether it is Go",
            place=runtime.place),))
    name = runtime.text
    if name.startswith(OTHER_LANGUAGE_RUNTIMES):
        return RuntimeVerdict(skip=f"runtime {name}: not Go", name=name)
    if name in RUNTIME_DATES:
        return RuntimeVerdict(name=name, findings=(_dated(name, RUNTIME_DATES[name], runtime, today),))
    if name == CUSTOM_RUNTIME:
        return RuntimeVerdict(name=name, custom=True, findings=(_custom(fn, runtime),))
    if name.startswith(("provided", "go")):
        return RuntimeVerdict(name=name, findings=(finding(
            "GB403", f"Runtime {name} is not a Lambda runtime", place=runtime.place,
            fix=f"use Runtime {TARGET_RUNTIME}"),))
    return RuntimeVerdict(skip=f"runtime {name}: not one gobuild judges", name=name)


def _dated(name: str, dates: RuntimeDates, runtime: Value, today: date) -> Finding:
    day = today.isoformat()
    schedule = (f"deprecated {dates.deprecated}, function creation blocked {dates.create_blocked}, "
                f"updates blocked {dates.update_blocked}")
    if day >= dates.update_blocked:
        state = "updates are blocked: a deploy that changes this function fails"
    elif day >= dates.create_blocked:
        state = f"new functions are refused; updates stop {_when(dates.update_blocked, today)}"
    elif day >= dates.deprecated:
        state = f"deprecated; new functions are refused {_when(dates.create_blocked, today)}"
    else:
        state = f"supported; deprecated {_when(dates.deprecated, today)}"
    message = f"Runtime {name}: {schedule}; on {day} {state}"
    if name == TARGET_RUNTIME and day < dates.deprecated:
        return finding("GB402", f"Runtime {name} is supported: deprecated {_when(dates.deprecated, today)}, "
                       f"function creation blocked {dates.create_blocked}, updates blocked "
                       f"{dates.update_blocked}", place=runtime.place)
    fix = MIGRATE_FIX if name != TARGET_RUNTIME else "move to the OS-only runtime AWS names as its successor"
    return finding("GB401", message, place=runtime.place, fix=fix)


def _when(iso: str, today: date) -> str:
    days = (date.fromisoformat(iso) - today).days
    return f"on {iso}, in {days} day{'' if days == 1 else 's'}"


def _custom(fn: FunctionDef, runtime: Value) -> Finding:
    config = fn.runtime_config
    if config is None:
        return finding("GB405", "Runtime custom names a customer-managed runtime, but RuntimeConfig "
                       "(RuntimeArn, RuntimeAlias) is missing", place=runtime.place,
                       fix=f"add RuntimeConfig, or use Runtime {TARGET_RUNTIME} for a Go bootstrap")
    arn = config.text if config.text is not None else config.written
    return finding("GB406", f"customer-managed runtime {arn}: its publisher sets its dates",
                   place=config.place)


def definition_findings(fn: FunctionDef, *, zip_code: bool) -> tuple[list[Finding], Arch | None]:
    """Handler, Architectures, Timeout, MemorySize and environment findings, and the
    architecture to verify the code for (None when Architectures is invalid or unresolved)."""
    found: list[Finding] = []
    if zip_code and fn.handler is None:
        found.append(finding("GB420", f"{fn.name} has no Handler; Lambda requires one for a .zip function, "
                             "even on OS-only runtimes, which ignore it", place=fn.place,
                             fix="add Handler: bootstrap"))
    arch, arch_findings = _architecture(fn)
    found += arch_findings
    found += _limit(fn.timeout, "Timeout", MIN_TIMEOUT, MAX_TIMEOUT, "seconds", "GB422")
    found += _limit(fn.memory, "MemorySize", MIN_MEMORY_MB, MAX_MEMORY_MB, "MB", "GB423")
    for name, place in fn.environment:
        if is_reserved_env(name):
            found.append(finding("GB424", f"environment variable {name} is reserved by Lambda: the "
                                 "deploy is refused (\"Reserved keys used in this request\")", place=place,
                                 fix=f"rename {name}; Lambda sets it itself"))
    return found, arch


def _architecture(fn: FunctionDef) -> tuple[Arch | None, list[Finding]]:
    declared = fn.architectures
    if declared is None:
        return LAMBDA_DEFAULT_ARCH, []
    if declared.items is None:
        return None, [finding("GB410", f"Architectures is {declared.written}: not resolved, so the "
                              "bootstrap's architecture is not compared with it", place=declared.place)]
    parsed = [Arch.parse(item) for item in declared.items]
    arch = parsed[0] if len(parsed) == 1 else None
    if arch is None or arch.lambda_name != declared.items[0]:
        meaning = f" ({declared.items[0]} means {arch.lambda_name})" if arch else ""
        return arch, [finding("GB421", f"Architectures is {declared.written}; Lambda takes exactly one "
                              f"of x86_64 and arm64, spelled so{meaning}", place=declared.place,
                              fix=f"set Architectures to [{arch.lambda_name if arch else 'x86_64 or arm64'}]")]
    return arch, []


def _limit(value: Value | None, name: str, low: float, high: float, unit: str, code: str) -> list[Finding]:
    if value is None:
        return []
    if value.text is None:
        return [finding("GB418", f"{name} is {value.written}: not resolved, not checked", place=value.place)]
    try:
        number = float(value.text)
    except ValueError:
        number = float("nan")
    if number != number or not low <= number <= high or number != int(number):
        return [finding(code, f"{name} {value.text} is outside Lambda's limits: a whole number of "
                        f"{unit} from {low:g} to {high:g}", place=value.place,
                        fix=f"set {name} between {low:g} and {high:g}")]
    return []
