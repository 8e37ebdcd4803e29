"""Shell completion, as docs/install.md describes it, in a real bash: the script gobuild prints
(or installs) registers a completion function, and bash's own protocol (COMP_WORDS, COMP_CWORD)
gets command names, options and values back from the installed `gobuild` console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent  # the virtualenv's bin: the console script `gobuild` lives here
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# Asks bash's registered completion function for the candidates of each word list, the way
# bash does on <TAB>: the words so far in COMP_WORDS, the index of the word being completed.
COMPLETE = r"""
function_name=$(complete -p gobuild | sed -E 's/.* -F ([^ ]+) .*/\1/')
ask() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
    "$function_name" gobuild "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    echo "$*: ${COMPREPLY[*]}"
}
ask gobuild bu
ask gobuild l
ask gobuild build --ar
ask gobuild --vers
"""


def run_bash(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    env = {**os.environ, "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([BASH, "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=env, cwd=home, timeout=120)


def candidates(output: str) -> dict[str, list[str]]:
    asked = {}
    for line in output.splitlines():
        words, _, found = line.partition(": ")
        asked[words] = sorted(found.split())
    return asked


def assert_completes(output: str) -> None:
    asked = candidates(output)
    assert asked["gobuild bu"] == ["build"]
    assert asked["gobuild l"] == ["local-s3"]
    assert asked["gobuild build --ar"] == ["--arch"]
    assert asked["gobuild --vers"] == ["--version"]


def test_bash_completes_from_the_printed_script(tmp_path: Path) -> None:
    # The parent process is bash, so gobuild prints bash's script (shell detection, as for users).
    result = run_bash('eval "$(gobuild --show-completion)"\n' + COMPLETE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_completes(result.stdout)


def test_install_completion_writes_a_script_bash_loads(tmp_path: Path) -> None:
    installed = run_bash("gobuild --install-completion bash", tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert "bash completion installed in" in installed.stdout
    assert "source" in (tmp_path / ".bashrc").read_text()
    # What a new interactive bash does first: read ~/.bashrc.
    result = run_bash("source ~/.bashrc\n" + COMPLETE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert_completes(result.stdout)
