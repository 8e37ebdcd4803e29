"""Pure parts of publishing: settings, key templates, metadata, selection, local checks, errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from gobuild.build import package
from gobuild.build.artifacts import Artifact, ArtifactsFile
from gobuild.check.elf import ElfError, parse_elf
from gobuild.errors import PublishError, UsageError
from gobuild.manifest import PublishSettings
from gobuild.publish.checks import Verdict, check_artifact, load_verified, save_verified, verify_key
from gobuild.publish.model import DEFAULT_JOBS, PublishOptions
from gobuild.publish.options import check_key_template, object_key, object_metadata, resolve_options, select
from gobuild.s3 import Bucket, UnusableBucketError

SHA = "ab" * 32


def artifact(name: str = "orders", arch: str = "arm64", sha256: str = SHA, **extra: object) -> Artifact:
    fields: dict[str, object] = {
        "name": name, "arch": arch, "package": f"./cmd/{name}", "path": f"{name}-{arch}.zip",
        "size": 10, "sha256": sha256, "code_sha256": "q80=", "contents_sha256": "00" * 32,
        "inputs": "11" * 32,
    }
    fields.update(extra)
    return Artifact(**fields)  # type: ignore[arg-type]


def document(*artifacts: Artifact) -> ArtifactsFile:
    return ArtifactsFile(artifacts=artifacts, go_version="go1.26.8", gobuild_version="0.1.0")


# --- settings: flags win over the [publish] table


def test_flags_override_the_manifest_table() -> None:
    table = PublishSettings(bucket="from-toml", prefix="toml/", endpoint_url="http://toml", region="eu-west-1",
                            profile="toml", jobs=3, key_template="{name}/{sha256}.zip")
    options = resolve_options(table, bucket="from-flag", prefix="", endpoint_url="http://flag",
                              region="us-east-2", profile="flag", jobs=9)
    assert options == PublishOptions(bucket="from-flag", prefix="", key_template="{name}/{sha256}.zip",
                                     endpoint_url="http://flag", region="us-east-2", profile="flag", jobs=9)


def test_the_table_applies_when_no_flag_is_given() -> None:
    table = PublishSettings(bucket="from-toml", prefix="toml/", region="eu-west-1", jobs=3)
    options = resolve_options(table, only=["a", "b", "a"], formats=["tfvars"], dry_run=True)
    assert (options.bucket, options.prefix, options.region, options.jobs) == ("from-toml", "toml/", "eu-west-1", 3)
    assert options.endpoint_url is None and options.profile is None
    assert options.only == ("a", "b") and options.formats == ("tfvars",) and options.dry_run


def test_defaults() -> None:
    options = resolve_options(PublishSettings(), bucket="artifacts")
    assert options.key_template == "{sha256}.zip" and options.prefix == "" and options.jobs == DEFAULT_JOBS


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [(None, "no bucket to publish to"), ("s3://x/y", "not a valid S3 bucket name"),
     ("Upper", "not a valid S3 bucket name"), ("ab", "not a valid S3 bucket name")],
)
def test_bad_bucket(bucket: str | None, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        resolve_options(PublishSettings(), bucket=bucket)


def test_bad_format_and_prefix() -> None:
    with pytest.raises(UsageError, match="--format 'yaml' is not one of sam, cloudformation, tfvars"):
        resolve_options(PublishSettings(), bucket="artifacts", formats=["yaml"])
    with pytest.raises(UsageError, match="starts with '/'"):
        resolve_options(PublishSettings(), bucket="artifacts", prefix="/lambda/")
    with pytest.raises(UsageError, match="brace"):
        resolve_options(PublishSettings(), bucket="artifacts", prefix="{name}/")


# --- keys


@pytest.mark.parametrize(
    ("prefix", "template", "key"),
    [
        ("", "{sha256}.zip", f"{SHA}.zip"),
        ("lambda/", "{sha256}.zip", f"lambda/{SHA}.zip"),
        ("", "{name}/{arch}/{sha256}.zip", f"orders/arm64/{SHA}.zip"),
        ("prod/", "{name}-{arch}-{sha256}.zip", f"prod/orders-arm64-{SHA}.zip"),
    ],
)
def test_object_key(prefix: str, template: str, key: str) -> None:
    check_key_template(template)
    options = PublishOptions(bucket="artifacts", prefix=prefix, key_template=template)
    assert object_key(options, artifact()) == key


def test_identical_zips_share_a_content_addressed_key() -> None:
    options = PublishOptions(bucket="artifacts")
    assert object_key(options, artifact("a")) == object_key(options, artifact("b", "amd64"))


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{name}-{arch}.zip", r"has no \{sha256\}"),
        ("{name}/{version}/{sha256}.zip", r"unknown placeholder \{version\}"),
        ("{sha256:.8}.zip", "no format spec"),
        ("{sha256!r}.zip", "no format spec"),
        ("{sha256.zip", "expected '}'"),
        ("/{sha256}.zip", "starts with '/'"),
    ],
)
def test_bad_key_templates(template: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        check_key_template(template)


def test_metadata_names_function_arch_and_versions() -> None:
    assert object_metadata(artifact(), document(artifact())) == {
        "function": "orders", "arch": "arm64", "go-version": "go1.26.8", "gobuild-version": "0.1.0",
        "sha256": SHA,
    }


def test_select_only() -> None:
    built = document(artifact("orders", "amd64"), artifact("orders"), artifact("payments"))
    assert select(built, ()) == built.artifacts
    assert [a.key for a in select(built, ["orders"])] == [("orders", "amd64"), ("orders", "arm64")]
    with pytest.raises(UsageError, match="no such function") as raised:
        select(built, ["nope"])
    assert raised.value.hint == "built functions: orders, payments"


# --- local checks before anything is sent


def host_elf() -> tuple[bytes, str]:
    """The system's `true`: a real ELF linked only against libc (what verify lets through as a
    dynamic binary; this interpreter needs libpython, which provided.al2023 lacks), and its GOARCH."""
    data = Path(os.path.realpath(shutil.which("true") or "/bin/true")).read_bytes()
    try:
        goarch = parse_elf(data).goarch
    except ElfError:
        goarch = None
    if goarch not in ("amd64", "arm64"):
        pytest.skip("needs an amd64 or arm64 ELF interpreter")
    return data, str(goarch)


def test_check_artifact_rehashes_then_verifies(tmp_path: Path) -> None:
    binary, arch = host_elf()
    zipped = package.write_zip(tmp_path / "f.zip", [package.ZipEntry(name="bootstrap", data=binary, mode=0o755)])
    good = artifact("f", arch, path="f.zip", sha256=zipped.sha256, size=zipped.size)

    verdict = check_artifact(good, tmp_path)
    assert verdict.reason is None and not verdict.remembered
    assert [w.split()[0] for w in verdict.warnings] == ["GB211"]  # dynamically linked: a warning only

    other = "arm64" if arch == "amd64" else "amd64"
    wrong_arch = check_artifact(artifact("f", other, path="f.zip", sha256=zipped.sha256, size=zipped.size),
                                tmp_path)
    assert wrong_arch.reason is not None and wrong_arch.reason.startswith("GB207 bootstrap is built for")

    missing = check_artifact(artifact("g", path="g.zip"), tmp_path)
    assert missing.reason == "g.zip is missing; run `gobuild build`"
    changed = check_artifact(artifact("f", arch, path="f.zip", sha256="00" * 32, size=zipped.size), tmp_path)
    assert changed.reason is not None and "f.zip changed since the build" in changed.reason


def test_verification_is_remembered_by_content(tmp_path: Path) -> None:
    binary, arch = host_elf()
    zipped = package.write_zip(tmp_path / "f.zip", [package.ZipEntry(name="bootstrap", data=binary, mode=0o755)])
    good = artifact("f", arch, path="f.zip", sha256=zipped.sha256, size=zipped.size)
    save_verified(tmp_path, {verify_key(good): ["GB211 remembered"]})
    memo = load_verified(tmp_path)
    assert check_artifact(good, tmp_path, memo) == Verdict(reason=None, warnings=("GB211 remembered",),
                                                           remembered=True)
    # The memo never skips the re-hash: changed bytes are refused whatever it says.
    (tmp_path / "f.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    assert "changed since the build" in (check_artifact(good, tmp_path, memo).reason or "")
    (tmp_path / ".publish-verified.json").write_text("{not json")
    assert load_verified(tmp_path) == {}


# --- S3 errors: one line, the right kind, no secrets


def client_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}}}, "HeadBucket")


@pytest.fixture
def s3_bucket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Bucket:
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIDUNIT", "AWS_SECRET_ACCESS_KEY": "unit-secret-value",
                        "AWS_SESSION_TOKEN": "unit-session-token", "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return Bucket("artifacts", endpoint_url="http://127.0.0.1:1", region="us-east-1")


def test_error_translation(s3_bucket: Bucket) -> None:
    missing = s3_bucket.error(client_error("404", 404), "HeadBucket", None)
    assert isinstance(missing, UnusableBucketError)
    assert missing.message == "bucket 'artifacts' does not exist at http://127.0.0.1:1"
    denied = s3_bucket.error(client_error("SignatureDoesNotMatch", 403), "PutObject", "k.zip")
    assert isinstance(denied, UnusableBucketError)
    assert denied.message == "access denied to s3://artifacts/k.zip at http://127.0.0.1:1 (SignatureDoesNotMatch)"
    unreachable = s3_bucket.error(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "HeadBucket", None)
    assert unreachable.message.startswith("cannot reach S3 at http://127.0.0.1:1: ")
    other = s3_bucket.error(client_error("InternalError", 500, "boom"), "PutObject", "k.zip")
    assert type(other) is PublishError
    assert other.message == "PutObject s3://artifacts/k.zip failed: InternalError boom"


def test_secrets_are_masked_in_messages(s3_bucket: Bucket) -> None:
    leaky = s3_bucket.error(client_error("Weird", 400, "echo unit-secret-value and unit-session-token"),
                            "PutObject", "k.zip")
    assert "unit-secret-value" not in leaky.message and "unit-session-token" not in leaky.message
    assert leaky.message.count("****") == 2
    assert s3_bucket.redact("http://user:pw@host/x") == "http://****@host/x"
