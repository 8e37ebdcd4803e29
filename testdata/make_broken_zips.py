"""Writes the damaged and unusual Lambda zips that `gobuild verify` is tested against.

Nothing here is committed as a binary: every archive is written byte by byte (a raw zip
writer, so names, attributes, methods, flags and declared sizes can say anything), and
the executables inside are either the caller's real ELF or a minimal ELF crafted here.

    make_all(out_dir, bootstrap_elf) -> {case name: path}
    minimal_elf(machine=62, ..., go_version=..., modinfo=...) -> bytes
    go_modinfo(path=..., deps=..., settings=...) -> str
    raw_entry(name, payload, method=..., mode=...) / raw_zip(entries) -> bytes

Run it to look at the archives: python testdata/make_broken_zips.py OUT_DIR [--elf FILE]
"""

from __future__ import annotations

import argparse
import bz2
import dataclasses
import functools
import lzma
import random
import struct
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

STORED, DEFLATED, DEFLATE64, BZIP2, LZMA = 0, 8, 9, 12, 14
EXECUTABLE = 0o100755
MIB = 1024 * 1024

EM_386, EM_X86_64, EM_AARCH64 = 3, 62, 183
LOADERS = {EM_X86_64: "/lib64/ld-linux-x86-64.so.2", EM_AARCH64: "/lib/ld-linux-aarch64.so.1"}
GOARCH = {EM_X86_64: "amd64", EM_AARCH64: "arm64", EM_386: "386"}

# cmd/go/internal/modload's infoStart and infoEnd: the frame around module info.
MODINFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
MODINFO_END = bytes.fromhex("f932433186182072008242104116d8f2")
BUILDINFO_MAGIC = b"\xff Go buildinf:"


# ---------------------------------------------------------------------------------------------
# A raw zip writer.


@dataclass(frozen=True, kw_only=True)
class RawEntry:
    """One zip entry exactly as written: compressed bytes and whatever the headers declare."""

    name: bytes
    data: bytes
    method: int
    crc: int
    compressed_size: int
    size: int
    flags: int = 0
    create_system: int = 3
    external_attr: int = EXECUTABLE << 16
    needed: int | None = None  # version needed to extract; None: what the method needs
    local_name: bytes | None = None  # a local header that names the entry differently


@functools.lru_cache(maxsize=32)
def compress(payload: bytes, method: int) -> bytes:
    """`payload` compressed as a zip entry of `method` stores it (fast levels: tests need speed)."""
    if method == STORED:
        return payload
    if method == DEFLATED:
        return _raw_deflate(payload, zlib.Z_DEFAULT_STRATEGY)
    if method == DEFLATE64:
        # A deflate stream without length-258 matches is a valid Deflate64 stream, and
        # Huffman-only coding has no matches at all (Deflate64 reuses code 285 for longer ones).
        return _raw_deflate(payload, zlib.Z_HUFFMAN_ONLY)
    if method == BZIP2:
        return bz2.compress(payload, 1)
    if method == LZMA:
        return _zip_lzma(payload)
    raise ValueError(f"cannot compress with method {method}")


def _raw_deflate(payload: bytes, strategy: int) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15, 9, strategy)
    return compressor.compress(payload) + compressor.flush()


def _zip_lzma(payload: bytes) -> bytes:
    # APPNOTE 5.8: version 9.4, properties size, 5 property bytes, then a raw LZMA1 stream.
    dict_size = 1 << 20
    properties = bytes([(2 * 5 + 0) * 9 + 3]) + struct.pack("<I", dict_size)
    filters = [
        {"id": lzma.FILTER_LZMA1, "preset": 0, "dict_size": dict_size, "lc": 3, "lp": 0, "pb": 2}
    ]
    compressor = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=filters)
    header = struct.pack("<BBH", 9, 4, len(properties)) + properties
    return header + compressor.compress(payload) + compressor.flush()


def raw_entry(
    name: str | bytes,
    payload: bytes,
    *,
    method: int = DEFLATED,
    mode: int | None = EXECUTABLE,
    create_system: int = 3,
    flags: int = 0,
    declared_size: int | None = None,
    declared_crc: int | None = None,
) -> RawEntry:
    """An entry holding `payload`; `declared_*` override what the headers claim."""
    data = compress(payload, method)
    if method == LZMA:
        flags |= 0x2  # the stream ends with an end-of-stream marker
    attr = (mode << 16) if mode is not None else 0x20  # 0x20: MS-DOS "archive" attribute
    raw_name = name.encode() if isinstance(name, str) else name
    if raw_name.endswith(b"/"):
        attr |= 0x10  # MS-DOS directory attribute
    return RawEntry(
        name=raw_name,
        data=data,
        method=method,
        crc=zlib.crc32(payload) if declared_crc is None else declared_crc,
        compressed_size=len(data),
        size=len(payload) if declared_size is None else declared_size,
        flags=flags,
        create_system=create_system,
        external_attr=attr,
    )


def raw_zip(entries: Iterable[RawEntry], *, zip64: bool = False) -> bytes:
    """A zip archive of exactly these entries (no comment). A stored or deflated entry flagged
    0x8 gets a data descriptor after its data; `zip64` adds Zip64 end records (as a writer does
    past 65,535 entries) and marks the classic end record's fields as "see Zip64"."""
    body = bytearray()
    directory = bytearray()
    count = 0
    for entry in entries:
        count += 1
        directory += central_record(entry, len(body))
        body += local_record(entry)
    return bytes(body + directory + end_records(count, len(directory), len(body), zip64=zip64))


def _needed(entry: RawEntry) -> int:
    if entry.needed is not None:
        return entry.needed
    return {DEFLATE64: 21, BZIP2: 46, LZMA: 63}.get(entry.method, 20)


def local_record(entry: RawEntry) -> bytes:
    """The local header, the name, the data and (flag 0x8) a data descriptor."""
    descriptor = bool(entry.flags & 0x8)
    crc, packed, size = (0, 0, 0) if descriptor else (entry.crc, entry.compressed_size, entry.size)
    name = entry.name if entry.local_name is None else entry.local_name
    dos_time, dos_date = 0, 0x21  # 1980-01-01 00:00, as reproducible zips use
    header = struct.pack("<4s5HI2I2H", b"PK\x03\x04", _needed(entry), entry.flags, entry.method, dos_time,
                         dos_date, crc, packed, size, len(name), 0)
    tail = struct.pack("<4sIII", b"PK\x07\x08", entry.crc, entry.compressed_size, entry.size) if descriptor else b""
    return header + name + entry.data + tail


def central_record(entry: RawEntry, offset: int) -> bytes:
    """The central directory record of an entry whose local header is at `offset`."""
    return struct.pack(
        "<4s6HI2I5H2I",
        b"PK\x01\x02",
        (entry.create_system << 8) | 20,  # made by a zip 2.0 writer
        _needed(entry),
        entry.flags,
        entry.method,
        0,  # time
        0x21,  # date
        entry.crc,
        entry.compressed_size,
        entry.size,
        len(entry.name),
        0,  # extra field length
        0,  # comment length
        0,  # disk number
        0,  # internal attributes
        entry.external_attr,
        offset,
    ) + entry.name


def end_records(count: int, directory_size: int, directory_offset: int, *, zip64: bool = False) -> bytes:
    """The end of central directory record, with Zip64's record and locator before it."""
    if not zip64:
        return struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, directory_size, directory_offset, 0)
    record_offset = directory_offset + directory_size
    record = struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, (3 << 8) | 45, 45, 0, 0, count, count,
                         directory_size, directory_offset)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, record_offset, 1)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return record + locator + end


def overlapping_zip(elf: bytes) -> bytes:
    """Two entries sharing bytes: a stored `cover.bin` whose data is `bootstrap`'s local header
    and data, the trick behind non-recursive zip bombs (each byte counted many times)."""
    inner = raw_entry("bootstrap", elf)
    inner_local = local_record(inner)
    cover = raw_entry("cover.bin", inner_local, method=STORED, mode=0o100644)
    cover_local = local_record(cover)
    inner_offset = len(cover_local) - len(inner_local)
    directory = central_record(cover, 0) + central_record(inner, inner_offset)
    return cover_local + directory + end_records(2, len(directory), len(cover_local))


# ---------------------------------------------------------------------------------------------
# A minimal ELF, optionally carrying Go build information.


def go_modinfo(
    *,
    path: str = "example.com/shop/cmd/orders-lambda",
    main: tuple[str, str] = ("example.com/shop", "(devel)"),
    deps: Iterable[tuple[str, str]] = (),
    settings: Iterable[tuple[str, str]] = (),
) -> str:
    """Module information text as cmd/go writes it (before framing)."""
    lines = [f"path\t{path}", f"mod\t{main[0]}\t{main[1]}\t"]
    lines += [f"dep\t{dep_path}\t{version}\th1:AAAA=" for dep_path, version in deps]
    lines += [f"build\t{key}={_go_quote_if_needed(value)}" for key, value in settings]
    return "\n".join(lines) + "\n"


def _go_quote_if_needed(value: str) -> str:
    if any(c in value for c in ' \t\r\n"`'):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def buildinfo_blob(go_version: str, modinfo: str, *, inline: bool = True) -> bytes:
    """The .go.buildinfo contents: 32-byte header, then the two varint-prefixed strings."""
    flags = 0x2 if inline else 0x0
    header = BUILDINFO_MAGIC + bytes([8, flags]) + bytes(16)
    if not inline:
        return header  # the pre-1.18 format points elsewhere; the pointers are left zero
    framed = MODINFO_START + modinfo.encode() + MODINFO_END
    return header + _uvarint_string(go_version.encode()) + _uvarint_string(framed)


def _uvarint_string(data: bytes) -> bytes:
    length, out = len(data), bytearray()
    while length >= 0x80:
        out.append((length & 0x7F) | 0x80)
        length >>= 7
    out.append(length)
    return bytes(out) + data


def minimal_elf(
    *,
    machine: int = EM_X86_64,
    bits: int = 64,
    big_endian: bool = False,
    osabi: int = 0,
    elf_type: int = 2,
    interpreter: str | None = None,
    go_version: str | None = None,
    modinfo: str = "",
    pointer_format: bool = False,
    sections: bool = True,
    needed: Sequence[str] = (),
    versions: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A small but well-formed ELF executable (it does nothing useful if run).

    With `go_version`, it carries Go build information in a .go.buildinfo section (or, with
    `sections=False`, only at the start of its writable segment, as a stripped binary would).
    With `needed` or `versions` it has a PT_DYNAMIC segment listing those libraries (DT_NEEDED)
    and symbol versions ((library, "GLIBC_2.34") in .gnu.version_r), as a dynamic binary has.
    """
    order = ">" if big_endian else "<"
    wide = bits == 64
    ehsize, phentsize, shentsize = (64, 56, 64) if wide else (52, 32, 40)
    interp = interpreter.encode() + b"\0" if interpreter else b""
    blob = buildinfo_blob(go_version, modinfo, inline=not pointer_format) if go_version else b""
    base = 0x400000
    dynamic = bool(needed or versions)
    phnum = 1 + bool(interp) + bool(blob) + dynamic

    interp_offset = ehsize + phnum * phentsize
    blob_offset = _align(interp_offset + len(interp), 16)
    dyn_offset = _align(blob_offset + len(blob), 16)
    tables, table_at = dynamic_tables(needed, versions, order=order, wide=wide, address=base + dyn_offset)
    names = b"\0.interp\0.go.buildinfo\0.shstrtab\0"
    names_offset = dyn_offset + len(tables)
    shoff = _align(names_offset + len(names), 8)
    section_rows = _section_rows(
        interp_offset, len(interp), blob_offset, len(blob), names_offset, len(names)
    )
    shnum = len(section_rows) if sections else 0
    total = shoff + shnum * shentsize

    programs = [(1, 5, 0, base, total)]  # PT_LOAD, R+X, the whole file
    if interp:
        programs.append((3, 4, interp_offset, base + interp_offset, len(interp)))
    if blob:
        programs.append((1, 6, blob_offset, base + blob_offset, len(blob)))  # PT_LOAD, R+W
    if dynamic:
        at = dyn_offset + table_at
        programs.append((2, 6, at, base + at, len(tables) - table_at))  # PT_DYNAMIC

    out = bytearray(total)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 2 if big_endian else 1, 1, osabi]) + bytes(8)
    header_fmt = order + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH")
    out[0:ehsize] = ident + struct.pack(
        header_fmt, elf_type, machine, 1, base + ehsize, ehsize, shoff if sections else 0, 0,
        ehsize, phentsize, phnum, shentsize, shnum, shnum - 1 if sections else 0,
    )  # fmt: skip
    for index, (p_type, flags, offset, vaddr, size) in enumerate(programs):
        if wide:
            row = struct.pack(
                order + "IIQQQQQQ", p_type, flags, offset, vaddr, vaddr, size, size, 16
            )
        else:
            row = struct.pack(
                order + "IIIIIIII", p_type, offset, vaddr, vaddr, size, size, flags, 16
            )
        out[ehsize + index * phentsize : ehsize + (index + 1) * phentsize] = row
    out[interp_offset : interp_offset + len(interp)] = interp
    out[blob_offset : blob_offset + len(blob)] = blob
    out[dyn_offset : dyn_offset + len(tables)] = tables
    out[names_offset : names_offset + len(names)] = names
    if sections:
        for index, (name, sh_type, flags, offset, size) in enumerate(section_rows):
            addr = base + offset if flags else 0
            fmt = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
            row = struct.pack(fmt, name, sh_type, flags, addr, offset, size, 0, 0, 1, 0)
            out[shoff + index * shentsize : shoff + (index + 1) * shentsize] = row
    return bytes(out)


def dynamic_tables(needed: Sequence[str], versions: Sequence[tuple[str, str]], *, order: str, wide: bool,
                   address: int) -> tuple[bytes, int]:
    """.dynstr, .gnu.version_r and .dynamic laid out from `address`: the bytes, and where the
    dynamic table starts in them (empty when there is nothing to need)."""
    if not needed and not versions:
        return b"", 0
    strings = bytearray(b"\0")
    offsets: dict[str, int] = {}
    for text in [*needed, *(lib for lib, _ in versions), *(ver for _, ver in versions)]:
        if text not in offsets:
            offsets[text] = len(strings)
            strings += text.encode() + b"\0"
    libraries = list(dict.fromkeys(lib for lib, _ in versions))
    records = bytearray()
    for index, library in enumerate(libraries):
        names = [ver for lib, ver in versions if lib == library]
        following = 0 if index == len(libraries) - 1 else 16 + 16 * len(names)
        records += struct.pack(order + "HHIII", 1, len(names), offsets[library], 16, following)
        for position, name in enumerate(names):
            records += struct.pack(order + "IHHII", 0, 0, 2 + position, offsets[name],
                                   0 if position == len(names) - 1 else 16)
    verneed_at = _align(len(strings), 8)
    table_at = _align(verneed_at + len(records), 8)
    rows = [(1, offsets[name]) for name in needed] + [(5, address), (10, len(strings))]
    if libraries:
        rows += [(0x6FFFFFFE, address + verneed_at), (0x6FFFFFFF, len(libraries))]
    rows.append((0, 0))
    table = b"".join(struct.pack(order + ("qQ" if wide else "iI"), tag, value) for tag, value in rows)
    out = bytearray(table_at + len(table))
    out[: len(strings)] = strings
    out[verneed_at : verneed_at + len(records)] = records
    out[table_at:] = table
    return bytes(out), table_at


def _section_rows(
    interp_offset: int,
    interp_size: int,
    blob_offset: int,
    blob_size: int,
    names_offset: int,
    names_size: int,
) -> list[tuple[int, int, int, int, int]]:
    # (name offset in .shstrtab, type, flags, file offset, size); the last is .shstrtab itself.
    return [
        (0, 0, 0, 0, 0),
        (1, 1, 2, interp_offset, interp_size),  # .interp: PROGBITS, ALLOC
        (9, 1, 3, blob_offset, blob_size),  # .go.buildinfo: PROGBITS, WRITE|ALLOC
        (23, 3, 0, names_offset, names_size),  # .shstrtab: STRTAB
    ]


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def elf_machine(elf: bytes) -> int:
    """e_machine of a little-endian ELF (the only kind Lambda runs)."""
    return int(struct.unpack_from("<H", elf, 18)[0])


# ---------------------------------------------------------------------------------------------
# The cases.


def make_all(out_dir: Path, bootstrap_elf: bytes) -> dict[str, Path]:
    """Writes every case as OUT_DIR/NAME.zip and returns {NAME: path}.

    `bootstrap_elf` is a good Linux executable for amd64 or arm64 (a real Go binary or
    minimal_elf()); the cases damage the archive around it or swap it for a bad one.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = dict(_archive_cases(bootstrap_elf))
    cases.update(_path_cases(bootstrap_elf))
    cases.update(_lint_cases(bootstrap_elf))
    cases.update(_binary_cases(bootstrap_elf))
    cases.update(_bomb_cases(bootstrap_elf))
    paths = {}
    for name, data in cases.items():
        path = out_dir / f"{name}.zip"
        path.write_bytes(data)
        paths[name] = path
    return paths


def _archive_cases(elf: bytes) -> Iterable[tuple[str, bytes]]:
    good = raw_zip([raw_entry("bootstrap", elf)])
    yield "good", good
    yield "good-stored", raw_zip([raw_entry("bootstrap", elf, method=STORED)])
    yield "empty", raw_zip([])
    yield (
        "nested",
        raw_zip([raw_entry("dist/", b"", mode=0o040755), raw_entry("dist/bootstrap", elf)]),
    )
    yield "go1x", raw_zip([raw_entry("orders-lambda", elf)])
    yield "windows", raw_zip([raw_entry("bootstrap", elf, mode=None, create_system=0)])
    yield "no-exec", raw_zip([raw_entry("bootstrap", elf, mode=0o100644)])
    yield "owner-only", raw_zip([raw_entry("bootstrap", elf, mode=0o100700)])
    yield (
        "symlink",
        raw_zip(
            [raw_entry("bootstrap", b"bin/orders", mode=0o120777), raw_entry("bin/orders", elf)]
        ),
    )
    yield (
        "symlink-dangling",
        raw_zip([raw_entry("bootstrap", b"/usr/local/bin/orders", mode=0o120777)]),
    )
    yield (
        "directory",
        raw_zip([raw_entry("bootstrap/", b"", mode=0o040755), raw_entry("bootstrap/orders", elf)]),
    )
    yield "duplicates", raw_zip([raw_entry("bootstrap", elf), raw_entry("bootstrap", elf)])
    yield "encrypted", raw_zip([raw_entry("bootstrap", elf, flags=0x1)])
    yield (
        "dotdot",
        raw_zip(
            [
                raw_entry("bootstrap", elf),
                raw_entry("../../etc/cron.d/evil", b"* * * * * root true\n"),
            ]
        ),
    )
    yield (
        "absolute",
        raw_zip(
            [raw_entry("bootstrap", elf), raw_entry("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n")]
        ),
    )
    yield "deflate64", raw_zip([raw_entry("bootstrap", elf, method=DEFLATE64)])
    yield "bzip2", raw_zip([raw_entry("bootstrap", elf, method=BZIP2)])
    yield "lzma", raw_zip([raw_entry("bootstrap", elf, method=LZMA)])
    yield "zero-byte", raw_zip([raw_entry("bootstrap", b"")])
    yield "truncated", good[: len(good) // 2]
    yield (
        "corrupt-data",
        _flip_byte(good, 30 + len("bootstrap") + len(compress(elf, DEFLATED)) // 2),
    )
    yield "random", random.Random(20240611).randbytes(4096)


def _path_cases(elf: bytes) -> Iterable[tuple[str, bytes]]:
    """Archives that no unzipper can lay out as a folder, or only unsafely, and data that lies."""
    boot = raw_entry("bootstrap", elf)
    config = b'{"table": "orders"}\n'
    yield "backslash", raw_zip([boot, raw_entry("config\\app.json", config, mode=0o100644)])
    yield "nul-name", raw_zip([boot, raw_entry(b"config.json\0../../evil", config, mode=0o100644)])
    yield "dup-normalised", raw_zip([boot, raw_entry("./bootstrap", elf)])
    yield "file-under-file", raw_zip([boot, raw_entry("bootstrap/config.json", config, mode=0o100644)])
    yield "file-and-dir", raw_zip([boot, raw_entry("lib", b"x", mode=0o100644), raw_entry("lib/", b"", mode=0o040755)])
    yield "link-escape", raw_zip([boot, _link("etc", "/etc")])
    yield "links-escape-together", raw_zip([boot, _link("b", "."), _link("a", "b/..")])
    yield "through-link", raw_zip([
        boot, _link("d", "sub"), raw_entry("sub/", b"", mode=0o040755), raw_entry("d/x", config, mode=0o100644)])
    yield "link-loop", raw_zip([boot, _link("a", "b"), _link("b", "a")])
    yield "size-overstated", raw_zip([raw_entry("bootstrap", elf, declared_size=len(elf) + 4096)])
    yield "size-understated", raw_zip([raw_entry("bootstrap", elf, declared_size=len(elf) // 2)])
    yield "crc-mismatch", raw_zip([raw_entry("bootstrap", elf, declared_crc=zlib.crc32(elf) ^ 1)])
    yield "deflate64-overstated", raw_zip([raw_entry("bootstrap", elf, method=DEFLATE64, declared_size=len(elf) * 2)])
    yield "name-mismatch", raw_zip([dataclasses.replace(boot, local_name=b"bootstrap.old")])
    yield "overlap", overlapping_zip(elf)


def _link(name: str, target: str) -> RawEntry:
    return raw_entry(name, target.encode(), mode=0o120777, method=STORED)


def _lint_cases(elf: bytes) -> Iterable[tuple[str, bytes]]:
    """Archives Lambda extracts, with something its unzipper or its user may trip on (warnings),
    and placeholders."""
    boot = raw_entry("bootstrap", elf)
    config = b'{"table": "orders"}\n'
    yield "zip64", raw_zip([boot], zip64=True)
    yield "version-45", raw_zip([dataclasses.replace(boot, needed=45)])
    yield "descriptor-stored", raw_zip([raw_entry("bootstrap", elf, method=STORED, flags=0x8)])
    yield "descriptor-deflated", raw_zip([raw_entry("bootstrap", elf, flags=0x8)])
    yield "unreadable-config", raw_zip([boot, raw_entry("config.json", config, mode=0o100600)])
    yield "placeholder", raw_zip([raw_entry("placeholder.txt", b"replaced at deploy time\n", mode=0o100644)])


def _binary_cases(elf: bytes) -> Iterable[tuple[str, bytes]]:
    machine = elf_machine(elf)
    other = EM_AARCH64 if machine == EM_X86_64 else EM_X86_64

    def zipped(binary: bytes) -> bytes:
        return raw_zip([raw_entry("bootstrap", binary)])

    yield "script", zipped(b"#!/bin/sh\nset -eu\nexec ./orders-lambda\n")
    yield "script-crlf", zipped(b"#!/bin/sh\r\nexec ./orders-lambda\r\n")
    yield "windows-exe", zipped(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(120) + b"PE\0\0")
    yield "wrong-arch", zipped(minimal_elf(machine=other))
    yield "elf32", zipped(minimal_elf(machine=EM_386, bits=32))
    yield "freebsd", zipped(minimal_elf(machine=machine, osabi=9))
    yield "object-file", zipped(minimal_elf(machine=machine, elf_type=1))
    yield (
        "dynamic",
        zipped(minimal_elf(machine=machine, interpreter=LOADERS.get(machine, LOADERS[EM_X86_64]))),
    )
    yield (
        "dynamic-musl",
        zipped(minimal_elf(machine=machine, interpreter="/lib/ld-musl-x86_64.so.1")),
    )
    yield "truncated-elf", zipped(elf[: max(64, len(elf) // 3)])


def _bomb_cases(elf: bytes) -> Iterable[tuple[str, bytes]]:
    # Sizes that only the headers claim: 16 entries "of" 4 GiB each, holding a few bytes.
    declared = [
        raw_entry(f"part-{i:02}.bin", b"\0" * 1024, declared_size=0xFFFFFFFF) for i in range(16)
    ]
    yield "bomb-declared", raw_zip([raw_entry("bootstrap", elf), *declared])
    zeros = _deflated_zeros(260 * MIB)
    yield (
        "bomb-real",
        raw_zip([raw_entry("bootstrap", elf), _zeros_entry("data.bin", zeros, 260 * MIB)]),
    )
    # The same stream declared as 1 MiB: reading it honestly would produce 260 MiB.
    yield "bomb-lying", raw_zip([raw_entry("bootstrap", elf), _zeros_entry("data.bin", zeros, MIB)])
    # Deflate64 at its extreme ratio: 60 KB that inflate to 1 GiB, declared as 1 MiB.
    stream = deflate64_bomb(16384)
    bomb = RawEntry(
        name=b"data.bin",
        data=stream,
        method=DEFLATE64,
        crc=0,
        compressed_size=len(stream),
        size=MIB,
        external_attr=0o100644 << 16,
    )
    yield "bomb-deflate64", raw_zip([raw_entry("bootstrap", elf), bomb])


def deflate64_bomb(matches: int) -> bytes:
    """A Deflate64 stream of one zero byte then `matches` copies of 65538 bytes (29 bits each).

    One fixed-Huffman block: Deflate64's length code 285 carries 16 extra bits (up to 65538
    bytes) and distance code 0 means "the byte before", so each match repeats the zero.
    """
    bits = _BitWriter()
    bits.write(1, 1)  # BFINAL
    bits.write(1, 2)  # BTYPE 01: fixed Huffman codes
    bits.huffman(0x30, 8)  # literal 0
    for _ in range(matches):
        bits.huffman(0xC0 + (285 - 280), 8)  # length code 285
        bits.write(0xFFFF, 16)  # extra bits: length 3 + 65535
        bits.huffman(0, 5)  # distance code 0: distance 1
    bits.huffman(0, 7)  # end of block (256)
    return bits.flush()


class _BitWriter:
    """Packs bits least-significant first, as deflate does; Huffman codes go in reversed."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._value = 0
        self._count = 0

    def write(self, value: int, count: int) -> None:
        self._value |= value << self._count
        self._count += count
        while self._count >= 8:
            self._out.append(self._value & 0xFF)
            self._value >>= 8
            self._count -= 8

    def huffman(self, code: int, length: int) -> None:
        self.write(int(f"{code:0{length}b}"[::-1], 2), length)

    def flush(self) -> bytes:
        if self._count:
            self._out.append(self._value & 0xFF)
        return bytes(self._out)


@functools.lru_cache(maxsize=2)
def _deflated_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk = bytes(MIB)
    parts = [compressor.compress(chunk) for _ in range(size // MIB)]
    return b"".join(parts) + compressor.flush()


def _zeros_entry(name: str, deflated: bytes, declared_size: int) -> RawEntry:
    crc = 0
    for _ in range(declared_size // MIB):
        crc = zlib.crc32(bytes(MIB), crc)
    return RawEntry(
        name=name.encode(),
        data=deflated,
        method=DEFLATED,
        crc=crc,
        compressed_size=len(deflated),
        size=declared_size,
        external_attr=0o100644 << 16,
    )


def _flip_byte(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0xFF
    return bytes(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--elf", type=Path, help="a real Linux executable to put inside (default: a minimal one)"
    )
    args = parser.parse_args(argv)
    elf = (
        args.elf.read_bytes()
        if args.elf
        else minimal_elf(
            go_version="go1.26.0",
            modinfo=go_modinfo(settings=[("GOOS", "linux"), ("-trimpath", "true")]),
        )
    )
    for name, path in make_all(args.out_dir, elf).items():
        print(f"{name:18} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
