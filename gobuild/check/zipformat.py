"""Facts about the zip format (PKWARE's APPNOTE) that the reader and the writer share.

Only what gobuild reads or writes is here: record signatures and sizes, compression method
numbers and names, general-purpose flags, host systems and the versions a reader needs.
"""

from __future__ import annotations

# Record signatures and the fixed sizes of the records they start.
LOCAL_SIGNATURE = b"PK\x03\x04"
CENTRAL_SIGNATURE = b"PK\x01\x02"
END_SIGNATURE = b"PK\x05\x06"
ZIP64_END_SIGNATURE = b"PK\x06\x06"
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
LOCAL_HEADER_SIZE = 30
CENTRAL_HEADER_SIZE = 46
END_SIZE = 22
ZIP64_END_SIZE = 56
ZIP64_LOCATOR_SIZE = 20
MAX_COMMENT = 0xFFFF
ZIP64_EXTRA_ID = 0x0001

# Without Zip64 a zip holds at most this many entries, and sizes and offsets up to MAX_32.
MAX_ENTRIES = 0xFFFF
MAX_32 = 0xFFFFFFFF

# Compression methods.
STORED, DEFLATED, DEFLATE64, AES_ENCRYPTED = 0, 8, 9, 99
METHOD_NAMES = {
    0: "stored", 1: "Shrink", 2: "Reduce", 3: "Reduce", 4: "Reduce", 5: "Reduce", 6: "Implode",
    8: "deflate", 9: "Deflate64", 10: "PKWARE Implode", 12: "bzip2", 14: "LZMA", 18: "IBM TERSE",
    19: "IBM LZ77", 93: "Zstandard", 94: "MP3", 95: "XZ", 96: "JPEG", 97: "WavPack", 98: "PPMd",
    99: "AES-encrypted",
}  # fmt: skip

# General-purpose flag bits.
FLAG_ENCRYPTED = 0x1
FLAG_DATA_DESCRIPTOR = 0x8  # sizes and CRC follow the data instead of the local header
FLAG_STRONG_ENCRYPTION = 0x40
FLAG_UTF8 = 0x800

# The "made by" host system (high byte of version made by), and the one whose modes count.
UNIX = 3
HOST_SYSTEMS = {
    0: "MS-DOS/Windows (FAT)", 1: "Amiga", 2: "OpenVMS", 3: "Unix", 6: "OS/2 HPFS",
    7: "Macintosh", 10: "Windows NTFS", 11: "MVS", 14: "Windows VFAT", 19: "OS X",
}  # fmt: skip

# Spec versions (major * 10 + minor): 2.0 is deflate and folders, which every reader has;
# 4.5 is Zip64.
VERSION_DEFLATE = 20
VERSION_ZIP64 = 45

# File type bits of a Unix mode (the high 16 bits of the external attributes).
S_IFMT = 0o170000
S_IFREG = 0o100000
S_IFDIR = 0o040000
S_IFLNK = 0o120000
MSDOS_DIRECTORY = 0x10


def method_name(method: int) -> str:
    """'Deflate64 (method 9)': a method's name and number, for messages."""
    return f"{METHOD_NAMES.get(method, 'an unknown method')} (method {method})"
