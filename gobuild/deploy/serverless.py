"""Serverless Framework `serverless.yml` → the functions it declares.

A function takes `runtime`, `architecture`, `memorySize`, `timeout` and `environment` from
`provider` unless it sets its own (environment maps are merged). Its code is
`package.artifact`, its own or the service's; without one, `serverless package` builds the
zip, which gobuild check does not imitate. `${...}` variables are reported, not resolved.
"""

from __future__ import annotations

from pathlib import Path

from gobuild.deploy.model import CodeRef, FunctionDef, Place
from gobuild.deploy.nodes import Source, mapping
from gobuild.migrate.document import Node, parse_json, parse_yaml

NAMES = ("serverless.yml", "serverless.yaml", "serverless.json")
RESOURCE_TYPE = "serverless function"
# What the Serverless Framework deploys when neither the function nor provider names a runtime.
DEFAULT_RUNTIME = "nodejs (the Serverless Framework's default)"


def is_serverless_file(path: Path) -> bool:
    return path.name in NAMES


def read_serverless(path: Path, text: str, shown: str) -> list[FunctionDef]:
    """Every function of a serverless.yml (AWS provider), in file order."""
    if path.suffix == ".json":
        root = parse_json(text, path)
    else:
        root = parse_yaml(text, path)
    if root.kind != "map":
        return []
    source = Source(text, shown, variables=True)
    provider = mapping(root.get("provider"))
    name = source.value(provider.get("name")) if provider else None
    if name is not None and name.text not in (None, "aws"):
        return []
    functions = mapping(root.get("functions"))
    if functions is None:
        return []
    service_package = mapping(root.get("package"))
    return [
        _definition(source, key, mapping(body), provider, service_package, path.parent)
        for key, body in functions.entries
    ]


def _definition(source: Source, key: Node, body: Node | None, provider: Node | None,
                service_package: Node | None, base_dir: Path) -> FunctionDef:
    def get(name: str) -> Node | None:
        own = body.get(name) if body else None
        return own if own is not None or provider is None else provider.get(name)

    place = source.place(key)
    environment: dict[str, Place] = {}
    for holder in (provider, body):
        environment.update(source.names(holder.get("environment") if holder else None))
    return FunctionDef(
        name=key.value,
        format="serverless",
        resource_type=RESOURCE_TYPE,
        place=place,
        base_dir=base_dir,
        code=_code(source, body, service_package, place, base_dir),
        runtime=source.value(get("runtime")),
        handler=source.value(body.get("handler") if body else None),
        architectures=source.strings(get("architecture")),
        timeout=source.value(get("timeout")),
        memory=source.value(get("memorySize")),
        environment=tuple(environment.items()),
        default_runtime=DEFAULT_RUNTIME,
    )


def _code(source: Source, body: Node | None, service_package: Node | None, place: Place,
          base_dir: Path) -> CodeRef:
    if body is not None and body.get("image") is not None:
        return CodeRef(kind="image", place=place)
    own_package = mapping(body.get("package")) if body else None
    artifact = None
    for package in (own_package, service_package):
        if package is not None and package.get("artifact") is not None:
            artifact = package.get("artifact")
            break
    if artifact is None:
        return CodeRef(kind="unresolved", place=place,
                       detail="no package.artifact: `serverless package` builds the zip")
    value = source.value(artifact)
    where = source.place(artifact)
    if value is None or value.text is None:
        return CodeRef(kind="unresolved", place=where, detail=f"package.artifact is {source.written(artifact)}")
    if value.text.startswith("s3://"):
        bucket, _, key = value.text[len("s3://"):].partition("/")
        return CodeRef(kind="s3", place=where, bucket=bucket, key=key)
    if "://" in value.text:
        return CodeRef(kind="unresolved", place=where, detail=f"package.artifact is a URL ({value.text})")
    return CodeRef(kind="path", place=where, path=base_dir / value.text)
