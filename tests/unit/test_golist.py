"""go list's errors for one target, as gobuild shows them under the function's name."""

from __future__ import annotations

from gobuild.build.golist import errors_of

REFUSED = ("example.com/private/lib@v1.0.0: reading https://proxy.example/example.com/private/lib/@v/v1.0.0.mod: "
           "403 Forbidden\n\tserver response: not available")


def test_a_module_the_proxy_refuses_is_said_once_with_a_count_of_its_other_imports() -> None:
    # Every package that imports the refused module carries the same error at its own position.
    positions = ["internal/store/db.go:5:2", "internal/store/db.go:6:2", "../shared/log/log.go:9:2"]
    main = {"ImportPath": "example.com/app/cmd/api", "Dir": "/m/cmd/api",
            "DepsErrors": [{"Pos": pos, "Err": REFUSED} for pos in positions]}
    assert errors_of(main, [main]) == [f"internal/store/db.go:5:2: {REFUSED}\n(the same error at 2 more imports)"]


def test_different_errors_are_each_kept_and_one_repeat_is_singular() -> None:
    main = {"ImportPath": "example.com/app/cmd/api", "Dir": "/m/cmd/api", "DepsErrors": [
        {"Pos": "cmd/api/main.go:6:2", "Err": "no required module provides package rsc.io/quote"},
        {"Pos": "cmd/api/main.go:7:2", "Err": "package example.com/app/gone is not in std"},
        {"Pos": "cmd/api/extra.go:4:2", "Err": "no required module provides package rsc.io/quote"},
    ]}
    assert errors_of(main, [main]) == [
        "cmd/api/main.go:6:2: no required module provides package rsc.io/quote\n(the same error at 1 more import)",
        "cmd/api/main.go:7:2: package example.com/app/gone is not in std",
    ]


def test_an_error_already_prefixed_with_its_position_is_not_prefixed_twice() -> None:
    main = {"ImportPath": "example.com/app/cmd/api", "Dir": "/m/cmd/api",
            "Error": {"Pos": "cmd/api/main.go:7:62", "Err": "cmd/api/main.go:7:62: syntax error: unexpected }"}}
    assert errors_of(main, [main]) == ["cmd/api/main.go:7:62: syntax error: unexpected }"]
