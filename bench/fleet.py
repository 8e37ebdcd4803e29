"""Generates a fleet of Go Lambda functions shaped like real ones, for the benchmarks.

Each function imports aws-lambda-go, the shared internal package `common` and the stdlib
packages real handlers pull in (net/http, encoding/json, crypto/tls...), so binaries weigh
8-12 MB. Like a real repository, not every function uses every package: two in three import
`store`, one in four imports `messages`, which embeds a text file (//go:embed); `common` has
a file only arm64 builds compile (//go:build arm64) and its counterpart for the others.
aws-sdk-go-v2 is left out on purpose: it would add the same fixed compile time to every tool
and every empty GOCACHE (minutes over a full run) without changing what is compared.
Writing a 500-function fleet takes well under a second.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTDATA = REPO / "testdata"

SHARED = '''// Package common is shared by every function of the fleet.
package common

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// Version changes when the benchmark edits the shared package.
const Version = "v0"

var pattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// Describe renders a record the way handlers in a real fleet do.
func Describe(kind string, payload map[string]any) (string, error) {
	if !pattern.MatchString(kind) {
		return "", fmt.Errorf("bad kind %q", kind)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	u := url.URL{Scheme: "https", Host: "example.com", Path: "/" + kind}
	var out strings.Builder
	t := template.Must(template.New("x").Parse("{{.K}} {{.H}} {{.U}} {{.T}} {{.S}}"))
	err = t.Execute(&out, map[string]any{"K": kind, "H": hex.EncodeToString(sum[:]), "U": u.String(),
		"T": time.Unix(0, 0).UTC(), "S": http.StatusText(200)})
	return out.String() + Version + tuning, err
}
'''

TUNING = '''//go:build {constraint}

package common

// tuning differs per architecture: only the matching file is compiled.
const tuning = "{value}"
'''

STORE = '''// Package store names records; two in three functions use it.
package store

import "strings"

// Revision changes when the benchmark edits this package.
const Revision = "r0"

// Key is the storage key of a record kind.
func Key(kind string) string {
	return "records/" + strings.ToLower(kind) + "/" + Revision
}
'''

MESSAGES = '''// Package messages serves text embedded at build time; one in four functions uses it.
package messages

import _ "embed"

//go:embed greeting.txt
var greeting string

// Greeting is the embedded greeting.
func Greeting() string {
	return greeting
}
'''

MAIN = '''// Command {name} is a generated fleet function.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"

	"example.com/fleet/internal/common"
{imports}	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {{
	Kind string         `json:"kind"`
	Data map[string]any `json:"data"`
}}

var client = &http.Client{{Transport: &http.Transport{{TLSClientConfig: &tls.Config{{MinVersion: tls.VersionTLS12}}}}}}

func handle(ctx context.Context, ev event) (json.RawMessage, error) {{
	_ = client
	text, err := common.Describe(ev.Kind, ev.Data)
	if err != nil {{
		return nil, err
	}}
	reply := map[string]string{{"function": "{name}", "text": text, "edit": "e{index}"}}
{calls}	return json.Marshal(reply)
}}

func main() {{
	lambda.Start(handle)
}}
'''


def generate(dest: Path, *, functions: int, both_arches: int | None = None) -> Path:
    """Writes the fleet module and its gobuild.toml; `both_arches` functions get amd64+arm64."""
    if dest.exists():
        shutil.rmtree(dest)
    for package in ("common", "store", "messages"):
        (dest / "internal" / package).mkdir(parents=True)
    go_mod = (TESTDATA / "go.mod").read_text().replace("module example.com/shop", "module example.com/fleet")
    (dest / "go.mod").write_text(go_mod)
    shutil.copy(TESTDATA / "go.sum", dest / "go.sum")
    (dest / "internal/common/common.go").write_text(SHARED)
    (dest / "internal/common/tuning_arm64.go").write_text(TUNING.format(constraint="arm64", value="a0"))
    (dest / "internal/common/tuning_other.go").write_text(TUNING.format(constraint="!arm64", value="o0"))
    (dest / "internal/store/store.go").write_text(STORE)
    (dest / "internal/messages/messages.go").write_text(MESSAGES)
    (dest / "internal/messages/greeting.txt").write_text("hello from the fleet, edit 0\n")
    both = functions if both_arches is None else both_arches
    lines = ['out_dir = "dist"', "", "[defaults]", 'architectures = ["arm64"]', ""]
    for index in range(1, functions + 1):
        name = f"fn{index:03d}"
        (dest / "cmd" / name).mkdir(parents=True)
        imports, calls = _uses(index)
        (dest / "cmd" / name / "main.go").write_text(MAIN.format(name=name, index=0, imports=imports, calls=calls))
        lines += ["[[function]]", f'name = "{name}"', f'package = "./cmd/{name}"']
        if index <= both:
            lines.append('architectures = ["amd64", "arm64"]')
        lines.append("")
    (dest / "gobuild.toml").write_text("\n".join(lines))
    return dest


def uses_store(index: int) -> bool:
    return index % 3 != 0


def uses_messages(index: int) -> bool:
    return index % 4 == 1


def _uses(index: int) -> tuple[str, str]:
    """The extra imports and calls of function number `index`."""
    imports = calls = ""
    if uses_messages(index):
        imports += '\t"example.com/fleet/internal/messages"\n'
        calls += '\treply["greeting"] = messages.Greeting()\n'
    if uses_store(index):
        imports += '\t"example.com/fleet/internal/store"\n'
        calls += '\treply["key"] = store.Key(ev.Kind)\n'
    return imports, calls


def arches_of(project: Path) -> dict[str, list[str]]:
    """Function name → architectures, read back from the generated manifest."""
    from gobuild.manifest import load_manifest

    return {f.name: list(f.architectures) for f in load_manifest(project / "gobuild.toml").functions}


def touch_function(project: Path, name: str, edit: int) -> None:
    """Changes one function's code (its reply), as a commit touching one handler would."""
    path = project / "cmd" / name / "main.go"
    text = path.read_text()
    import re

    path.write_text(re.sub(r'"edit": "e\d+"', f'"edit": "e{edit}"', text))


def touch_shared(project: Path, edit: int) -> None:
    """Changes the shared package, which every function imports."""
    path = project / "internal/common/common.go"
    import re

    path.write_text(re.sub(r'const Version = "v\d+"', f'const Version = "v{edit}"', path.read_text()))


def edit_store(project: Path, edit: int) -> None:
    """Changes the `store` package, which two in three functions import."""
    _substitute(project / "internal/store/store.go", r'const Revision = "r\d+"', f'const Revision = "r{edit}"')


def edit_embedded(project: Path, edit: int) -> None:
    """Changes the text file `messages` embeds."""
    (project / "internal/messages/greeting.txt").write_text(f"hello from the fleet, edit {edit}\n")


def edit_arm64_file(project: Path, edit: int) -> None:
    """Changes the file only arm64 builds compile (//go:build arm64)."""
    _substitute(project / "internal/common/tuning_arm64.go", r'const tuning = "a\d+"', f'const tuning = "a{edit}"')


def change_dependency_version(project: Path, environ: dict[str, str], version: str = "v1.47.0",
                              module: str = "github.com/aws/aws-lambda-go") -> None:
    """Moves a dependency to another version as a developer does, with `go get`: go.mod and go.sum
    change. The version comes from the module cache (GOPROXY=off): nothing is downloaded."""
    import subprocess

    env = {**environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
    subprocess.run(["go", "get", f"{module}@{version}"], cwd=project, env=env, check=True, capture_output=True)


def replace_dependency(project: Path, module_dir: Path, module: str = "github.com/aws/aws-lambda-go") -> None:
    """Bumps a dependency the way a team patches one: a `replace` in go.mod to a local copy of the
    module (from the module cache) with one file added."""
    copy = project / "third_party" / module.rsplit("/", 1)[-1]
    if copy.exists():
        shutil.rmtree(copy)
    for folder, _, names in os.walk(module_dir):
        target = copy / os.path.relpath(folder, module_dir)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:  # files only, without the module cache's read-only modes
            shutil.copyfile(os.path.join(folder, name), target / name)
    (copy / "lambda" / "patched.go").write_text("package lambda\n\n// Patched marks the local copy.\n"
                                                "var Patched = \"local\"\n")
    go_mod = project / "go.mod"
    go_mod.write_text(go_mod.read_text() + f"\nreplace {module} => ./{copy.relative_to(project).as_posix()}\n")


def _substitute(path: Path, pattern: str, replacement: str) -> None:
    import re

    text = path.read_text()
    changed = re.sub(pattern, replacement, text)
    if changed == text:
        raise ValueError(f"{path}: {pattern!r} not found")
    path.write_text(changed)


def copy_sources(project: Path, dest: Path) -> Path:
    """A second checkout of the fleet: sources only (no dist/, no build state), at another place."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("dist", ".aws-sam", "out-*", "gr-dist", ".git"))
    return dest


def resource_name(name: str, arch: str) -> str:
    return "".join(part.capitalize() for part in name.split("-")) + arch.capitalize()


def sam_template(project: Path, arches: dict[str, list[str]]) -> Path:
    """template.yaml with one AWS::Serverless::Function per function and arch (SAM has one arch per
    function), provided.al2023 and BuildMethod go1.x, as `sam init` writes it for Go."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::Serverless-2016-10-31",
             "Description: gobuild benchmark fleet", "Resources:"]
    for name, archs in arches.items():
        for arch in archs:
            lines += [
                f"  {resource_name(name, arch)}:",
                "    Type: AWS::Serverless::Function",
                "    Metadata:",
                "      BuildMethod: go1.x",
                "      BuildProperties:",
                "        TrimGoPath: true",
                "    Properties:",
                f"      CodeUri: ./cmd/{name}",
                "      Handler: bootstrap",
                "      Runtime: provided.al2023",
                f"      Architectures: [{'x86_64' if arch == 'amd64' else 'arm64'}]",
            ]
    path = project / "template.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def git_commit(project: Path, environ: dict[str, str]) -> None:
    """Makes the fleet a git repository with one commit (GoReleaser reads the commit it releases)."""
    import subprocess

    env = {**environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    if (project / ".git").exists():
        return
    (project / ".gitignore").write_text("out-*/\ngr-dist/\ndist/\n.aws-sam/\n")
    for argv in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "fleet"]):
        subprocess.run(argv, cwd=project, env=env, check=True, capture_output=True)


def goreleaser_config(project: Path, arches: dict[str, list[str]], dist: str = "gr-dist") -> Path:
    """.goreleaser.yaml building the same targets with the same flags, each into its own zip
    holding only bootstrap (no README/LICENSE), nothing published."""
    lines = ["version: 2", "project_name: fleet", f"dist: {dist}", "builds:"]
    for name, archs in arches.items():
        lines += [
            f"  - id: {name}",
            f"    main: ./cmd/{name}",
            "    binary: bootstrap",
            "    env: [CGO_ENABLED=0]",
            "    goos: [linux]",
            f"    goarch: [{', '.join(archs)}]",
            "    flags: [-trimpath, -buildvcs=false, -tags=lambda.norpc]",
            "    ldflags: [-s -w]",
            "    mod_timestamp: '315532800'",
        ]
    lines.append("archives:")
    for name in arches:
        lines += [
            f"  - id: {name}",
            f"    ids: [{name}]",
            "    formats: [zip]",
            f"    name_template: '{name}-{{{{ .Arch }}}}'",
            "    files: [none*]",
        ]
    lines += ["checksum:", "  name_template: checksums.txt", "release:", "  disable: true",
              "changelog:", "  disable: true", "snapshot:", "  version_template: '0.0.0-bench'"]
    path = project / ".goreleaser.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
