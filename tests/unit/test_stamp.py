"""ldflags placeholders: what the manifest accepts, how values are filled in, how targets are
grouped, and the order that keeps a fingerprint from depending on itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gobuild import stamp
from gobuild.build.fingerprint import HashCache, Inputs, fingerprint
from gobuild.errors import EXIT_BAD_INPUT, ManifestError
from gobuild.manifest import Function, parse_manifest
from gobuild.plan import Target, make_plan, settings_for
from gobuild.stamp import StampError

MODULE = Path("/src/shop")


def target(name: str, ldflags: str, stamps: tuple[tuple[str, str], ...] = (), **more: Any) -> Target:
    function = Function(name=name, package=f"./cmd/{name}", module_dir=MODULE, architectures=("arm64",),
                        ldflags=ldflags, stamps=stamps, **more)
    return Target(function=function, arch="arm64")


def test_placeholders_in_order_each_once() -> None:
    template = "-s -w -X main.v={module_version}+{inputs} -X main.i={inputs} -X main.t={env:BUILT_AT} -X m.g={go_version}"
    assert stamp.placeholders(template) == ("module_version", "inputs", "env:BUILT_AT", "go_version")
    assert stamp.placeholders("-s -w -X 'main.json={{\"a\":1}'") == ()
    assert not stamp.uses_placeholders("-s -w")


@pytest.mark.parametrize("template", [
    "-X main.version={inputs}",
    "-X=main.version={inputs}",
    "-X 'main.version=v-{module_version}'",
    "-s '-X=main.version={go_version}' -w",
    "--X main.built={env:BUILT_AT}",
    "-X main.version={{literal}",
])  # fmt: skip
def test_accepted_templates(template: str) -> None:
    stamp.check(template)


@pytest.mark.parametrize(("template", "message", "hint"), [
    ("-X main.version={input}", "unknown placeholder {input}", "did you mean {inputs}?"),
    ("-X main.version={commit}", "unknown placeholder {commit}", "write {{ for a literal {"),
    ("-X main.built={env:}", "{env:} names no environment variable", "{env:NAME}"),
    ("-X main.built={env}", "{env} names no environment variable", "{env:NAME}"),
    ("-X main.built={env:1X}", "names no environment variable", "letters, digits"),
    ("-X main.v={inputs:short}", "{inputs:short}: {inputs} takes no argument", "write {inputs}"),
    ("-X main.{inputs}=1", "{inputs} is outside an -X value", "-X main.version={inputs}"),
    ("-s -w -extldflags={inputs}", "{inputs} is outside an -X value", None),
    ("-X {go_version}", "outside an -X value", None),
])  # fmt: skip
def test_refused_templates(template: str, message: str, hint: str | None) -> None:
    with pytest.raises(StampError) as caught:
        stamp.check(template)
    assert message in caught.value.message
    if hint:
        assert caught.value.hint is not None and hint in caught.value.hint


def test_resolve_fills_every_placeholder_and_unescapes_braces() -> None:
    template = "-s -w -X main.v={module_version}+{inputs} -X main.b={env:BUILT_AT} -X main.j={{x}"
    values = {"module_version": "v1.4.0", "inputs": "0123456789ab", "env:BUILT_AT": "2025-01-01T00:00:00Z"}
    assert stamp.resolve(template, values) == \
        "-s -w -X main.v=v1.4.0+0123456789ab -X main.b=2025-01-01T00:00:00Z -X main.j={x}"


@pytest.mark.parametrize("value", ["two words", "it's", 'say "hi"', "back\\slash", "tab\there"])
def test_a_value_that_would_split_the_linker_arguments_is_refused(value: str) -> None:
    with pytest.raises(StampError) as caught:
        stamp.resolve("-X main.b={env:B}", {"env:B": value})
    assert "space, quote or backslash" in caught.value.message


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(StampError, match=re.escape("no value for {module_version}")):
        stamp.resolve("-X main.v={module_version}", {})


def test_the_manifest_refuses_a_bad_placeholder_with_its_key_path(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (tmp_path / "cmd" / "a").mkdir(parents=True)
    (tmp_path / "cmd" / "a" / "main.go").write_text("package main\n\nfunc main() {}\n")
    text = '[[function]]\nname = "a"\npackage = "./cmd/a"\nldflags = "-s -w -X main.version={input}"\n'
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, path=tmp_path / "gobuild.toml")
    assert caught.value.message == "gobuild.toml: function[1].ldflags: unknown placeholder {input}"
    assert caught.value.hint == "did you mean {inputs}?"
    assert caught.value.exit_code == EXIT_BAD_INPUT
    good = text.replace("{input}", "{inputs}")
    assert parse_manifest(good, path=tmp_path / "gobuild.toml").functions[0].ldflags == "-s -w -X main.version={inputs}"


def test_targets_that_stamp_inputs_link_alone_and_the_rest_share_a_go_build() -> None:
    shared = "-s -w -X main.version={module_version}"
    own = "-s -w -X main.version={inputs}"
    targets = [target("a", shared, (("module_version", "v1.0.0"),)), target("b", shared, (("module_version", "v1.0.0"),)),
               target("c", own), target("d", own)]
    plan = make_plan(targets, {MODULE: "example.com/shop"})
    assert sorted(sorted(t.function.name for t in g.targets) for g in plan.groups) == [["a", "b"], ["c"], ["d"]]
    assert [g.settings.per_target for g in plan.groups] == [False, True, True]


def test_the_fingerprint_is_taken_over_the_template_then_fills_in_inputs(tmp_path: Path) -> None:
    source = tmp_path / "main.go"
    source.write_text("package main\n\nfunc main() {}\n")
    inputs = Inputs(files=((str(source), "./main.go"),), dirs=(), modules=())
    cache = HashCache()
    template = "-s -w -X main.version={module_version}+{inputs}"
    stamped = target("a", template, (("module_version", "v1.4.0"),))
    settings = settings_for(stamped)
    first = fingerprint(stamped, settings, inputs, cache, "go1.26.8", 315532800)

    linked = settings.linked(first)
    assert linked.ldflags == f"-s -w -X main.version=v1.4.0+{first[:12]}"
    # Filling in {inputs} changes nothing the fingerprint reads: computing it again gives itself.
    assert fingerprint(stamped, settings, inputs, cache, "go1.26.8", 315532800) == first
    assert settings.as_record()["ldflags"] == template
    assert settings.as_record()["stamps"] == {"module_version": "v1.4.0"}
    # Hashing the resolved ldflags instead would make the fingerprint depend on itself.
    assert fingerprint(stamped, linked, inputs, cache, "go1.26.8", 315532800) != first
    # A placeholder value known before the fingerprint is part of it: a new tag is a new build.
    tagged = target("a", template, (("module_version", "v1.5.0"),))
    assert fingerprint(tagged, settings_for(tagged), inputs, cache, "go1.26.8", 315532800) != first
    # What artifacts.json records: the linker's ldflags, the template and the values.
    assert settings.artifact_record(first) == {**settings.as_record(), "ldflags": linked.ldflags,
                                               "ldflags_template": template}


def test_settings_without_placeholders_record_and_hash_as_before() -> None:
    plain = settings_for(target("a", "-s -w -X main.version=1.2.3"))
    assert "stamps" not in plain.as_record()
    assert plain.linked("f" * 64) is plain
    assert plain.artifact_record("f" * 64) == plain.as_record()
