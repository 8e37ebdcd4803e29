"""What a `cgo = true` build is, as plain data: the C library it targets, zig's name for that
target, and how the Go flags it needs are merged with the manifest's. No processes here (the
zig command itself is found in gobuild.build.zig).

The default is Amazon Linux 2023's glibc 2.34, dynamically linked: what provided.al2023 runs.
`musl` gives a static binary instead (zig's musl, linked with -static).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gobuild.lambda_facts import AL2023_GLIBC, Arch

MUSL = "musl"
DEFAULT_LIBC = f"{AL2023_GLIBC[0]}.{AL2023_GLIBC[1]}"
# The oldest glibc zig targets on both architectures (glibc gained arm64 in 2.17).
OLDEST_GLIBC = (2, 17)
_GLIBC = re.compile(r"2\.(\d{1,3})")
# Go's cmd/internal/quoted: a word is a run of non-space characters, or a whole word wrapped
# in '…' or "…" (no escapes, and a quote only counts at the start of a word).
_WORD = re.compile(r"""'([^']*)'(?=\s|$)|"([^"]*)"(?=\s|$)|(\S+)""")


@dataclass(frozen=True, kw_only=True)
class Cgo:
    """How a `cgo = true` function's C code is compiled: the C library it targets (a glibc
    release such as "2.34", or "musl" for a static binary) and flags added to Go's defaults."""

    libc: str = DEFAULT_LIBC
    cflags: str = ""
    ldflags: str = ""

    @property
    def musl(self) -> bool:
        return self.libc == MUSL

    def target(self, arch: str) -> str:
        """zig's -target for this C library on a GOARCH: x86_64-linux-gnu.2.34, aarch64-linux-musl."""
        found = Arch.parse(arch)
        triple = found.gnu_triple if found else f"{arch}-linux-gnu"
        return triple.replace("-gnu", "-musl") if self.musl else f"{triple}.{self.libc}"

    def as_record(self) -> dict[str, str]:
        return {"libc": self.libc, "cflags": self.cflags, "ldflags": self.ldflags}


def libc_problem(text: str) -> str | None:
    """Why `text` is not a C library a cgo function can target, or None ("2.34", "2.26", "musl")."""
    if text == MUSL:
        return None
    match = _GLIBC.fullmatch(text)
    if match is None:
        return f"{text!r} is not a glibc release (such as {DEFAULT_LIBC!r}) or {MUSL!r}"
    release = (2, int(match.group(1)))
    if release > AL2023_GLIBC:
        return (f"glibc {text} is newer than provided.al2023's {DEFAULT_LIBC}: the binary would fail there "
                f"with \"version `GLIBC_{text}' not found\"")
    if release < OLDEST_GLIBC:
        return f"glibc {text} is older than zig can target on arm64 ({OLDEST_GLIBC[0]}.{OLDEST_GLIBC[1]})"
    return None


LIBC_HINT = (f"use a glibc release from {OLDEST_GLIBC[0]}.{OLDEST_GLIBC[1]} to {DEFAULT_LIBC} (provided.al2023 "
             f"has {DEFAULT_LIBC}), or {MUSL!r} for a static binary")


def split_words(text: str) -> list[str]:
    """A flag list split as Go splits -ldflags, CC and CGO_*FLAGS (cmd/internal/quoted)."""
    return [next(g for g in m.groups() if g is not None) for m in _WORD.finditer(text)]


def quote_word(word: str) -> str:
    """One word as Go's quoted splitting reads it back; ValueError if Go cannot quote it."""
    if word and not re.search(r"\s", word) and word[0] not in "'\"":
        return word
    if "'" not in word:
        return f"'{word}'"
    if '"' not in word:
        return f'"{word}"'
    raise ValueError(f"{word!r} holds both kinds of quote, which Go cannot pass as one word")


def link_flags(ldflags: str, cgo: Cgo) -> str:
    """The -ldflags of a cgo build: the manifest's, then -buildid= (Go's build ID hashes the C
    compiler's absolute path) and one -extldflags that keeps the user's values and ends in -s
    (the C toolchain's debug information and symbols hold the build machine's paths; Go's own
    -s comes before CGO_LDFLAGS' -g, which undoes it). -extldflags is last-wins, so the user's
    are merged into it, not left before it. musl adds -linkmode=external and -static."""
    words = split_words(ldflags)
    kept: list[str] = []
    extra: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        name, _, value = word.lstrip("-").partition("=")
        if word.startswith("-") and name == "extldflags":
            if "=" not in word and index + 1 < len(words):
                index += 1
                value = words[index]
            extra = split_words(value)
        else:
            kept.append(word)
        index += 1
    if cgo.musl:
        kept.append("-linkmode=external")
        extra = ["-static", *extra]
    kept.append("-buildid=")
    kept.append("-extldflags=" + " ".join(quote_word(w) for w in [*extra, "-s"]))
    return " ".join(quote_word(w) for w in kept)
