"""Judging deployment zips as Lambda will see them: the one zip reader and verify's rules.

    zipformat   facts about the zip format the reader and the writer (build/package) share
    zipread     the one bounded reader: open_zip, the central directory
    zipentry    ... and entry data, never more than an entry declares
    structure   what makes an archive unextractable or unsafe; lint warnings; integrity
    archive     judge_archive: the verdict verify, repack, invoke and the cache share
    extract     extract_zip: a task root laid out by that verdict (invoke)
    source      bounded random access (bytes, files, zip entries) for the ELF readers
    elf         ELF headers, the interpreter, DT_NEEDED and symbol version needs
    buildinfo   Go build information read from an ELF
    bootstrap   where bootstrap is and what it is
    binary      the bootstrap executable: architecture, glibc, libraries, Go, CPU level
    findings    Finding, Report, CODES
    verify      verify_zip, verify_bytes, verify_paths, judge_zip

Nothing is imported here, so importing one module costs only that module.
"""
