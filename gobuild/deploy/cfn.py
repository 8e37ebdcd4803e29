"""SAM and CloudFormation templates (YAML or JSON) → the functions they declare.

`AWS::Serverless::Function` inherits from `Globals.Function` the way SAM's translator merges
it: the function's own value replaces a global one, except that `Environment.Variables` maps
are merged. `AWS::Lambda::Function` takes nothing from Globals.
"""

from __future__ import annotations

from pathlib import Path

from gobuild.deploy.model import CodeRef, FunctionDef, Place, Value
from gobuild.deploy.nodes import Source, mapping, ref_target
from gobuild.migrate.document import Node, intrinsic, parse_json, parse_yaml

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
FUNCTION_TYPES = (SERVERLESS_FUNCTION, LAMBDA_FUNCTION)


def mentions_function(text: str) -> bool:
    """Cheap test before parsing: does the text declare a Lambda function at all?"""
    return SERVERLESS_FUNCTION in text or LAMBDA_FUNCTION in text


def parse_template(path: Path, text: str, shown: str) -> Node:
    """The span tree of a template; JSON when it starts with `{`. Syntax errors name the line."""
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        return parse_json(text, path)
    return parse_yaml(text, path)


def read_template(path: Path, text: str, shown: str) -> list[FunctionDef]:
    """Every SAM or CloudFormation Lambda function of a template, in file order."""
    root = parse_template(path, text, shown)
    resources = mapping(root.get("Resources")) if root.kind == "map" else None
    if resources is None:
        return []
    source = Source(text, shown)
    globals_node = mapping(root.get("Globals"))
    defaults = mapping(globals_node.get("Function")) if globals_node else None
    functions = []
    for key, resource in resources.entries:
        kind = resource.get("Type") if resource.kind == "map" else None
        if kind is None or kind.kind != "scalar" or kind.value not in FUNCTION_TYPES:
            continue
        sam = kind.value == SERVERLESS_FUNCTION
        reader = _Function(source, key, resource, defaults if sam else None, path.parent)
        functions.append(reader.definition(sam=sam))
    return functions


class _Function:
    def __init__(self, source: Source, key: Node, resource: Node, defaults: Node | None,
                 base_dir: Path) -> None:
        self.source = source
        self.key = key
        self.resource = resource
        self.properties = mapping(resource.get("Properties"))
        self.defaults = defaults
        self.base_dir = base_dir

    def get(self, name: str) -> Node | None:
        """The function's own value, else the one it inherits from Globals."""
        own = self.properties.get(name) if self.properties else None
        if own is not None:
            return own
        return self.defaults.get(name) if self.defaults else None

    def definition(self, *, sam: bool) -> FunctionDef:
        source = self.source
        place = source.place(self.key)
        runtime_config = mapping(self.get("RuntimeConfig"))
        return FunctionDef(
            name=self.key.value,
            format="sam" if sam else "cloudformation",
            resource_type=SERVERLESS_FUNCTION if sam else LAMBDA_FUNCTION,
            place=place,
            base_dir=self.base_dir,
            code=self.sam_code(place) if sam else self.cfn_code(place),
            runtime=source.value(self.get("Runtime")),
            handler=source.value(self.get("Handler")),
            architectures=source.strings(self.get("Architectures")),
            timeout=source.value(self.get("Timeout")),
            memory=source.value(self.get("MemorySize")),
            environment=tuple(self.environment()),
            runtime_config=source.value(runtime_config.get("RuntimeArn")) if runtime_config else None,
        )

    def environment(self) -> list[tuple[str, Place]]:
        names: dict[str, Place] = {}
        for holder in (self.defaults, self.properties):  # Globals first; the function's win
            environment = mapping(holder.get("Environment")) if holder else None
            variables = environment.get("Variables") if environment else None
            names.update(self.source.names(variables))
        return list(names.items())

    def is_image(self) -> bool:
        package_type = self.source.value(self.get("PackageType"))
        return bool(package_type and package_type.text == "Image") or self.get("ImageUri") is not None

    def sam_code(self, place: Place) -> CodeRef:
        if self.is_image():
            return CodeRef(kind="image", place=place)
        inline = self.get("InlineCode")
        if inline is not None:
            return CodeRef(kind="inline", place=self.source.place(inline))
        uri = self.get("CodeUri")
        if uri is None:
            return CodeRef(kind="missing", place=place, detail="no CodeUri")
        where = self.source.place(uri)
        if uri.kind == "map" and not uri.tag and not intrinsic(uri):
            return self.s3_code(uri, where, bucket="Bucket", key="Key", version="Version")
        value = self.source.value(uri)
        if value is None or value.text is None:
            return CodeRef(kind="unresolved", place=where, detail=f"CodeUri is {self.source.written(uri)}")
        if value.text.startswith("s3://"):
            bucket, _, key = value.text[len("s3://"):].partition("/")
            return CodeRef(kind="s3", place=where, bucket=bucket, key=key)
        return CodeRef(kind="path", place=where, path=self.base_dir / value.text, built_by=self.build_method())

    def metadata(self, key: str) -> Value | None:
        """A value of the resource's Metadata (SAM's BuildMethod, cdk synth's aws:asset:*)."""
        metadata = mapping(self.resource.get("Metadata"))
        return self.source.value(metadata.get(key)) if metadata else None

    def build_method(self) -> str:
        method = self.metadata("BuildMethod")
        if method is None:
            return ""
        return f"sam build (Metadata BuildMethod {method.text or method.written})"

    def cfn_code(self, place: Place) -> CodeRef:
        if self.is_image():
            return CodeRef(kind="image", place=place)
        code = self.get("Code")
        if code is None:
            return CodeRef(kind="missing", place=place, detail="no Code")
        where = self.source.place(code)
        if code.kind == "map" and not code.tag and not intrinsic(code):
            if code.get("ImageUri") is not None:
                return CodeRef(kind="image", place=where)
            if code.get("ZipFile") is not None:
                return CodeRef(kind="inline", place=where)
            asset = self.cdk_asset()
            if asset is not None:  # the S3 object cdk deploy uploads is made from this
                return CodeRef(kind="path", place=where, path=self.base_dir / asset, made_by="cdk synth")
            return self.s3_code(code, where, bucket="S3Bucket", key="S3Key", version="S3ObjectVersion")
        value = self.source.value(code)
        if value is None or value.text is None:
            return CodeRef(kind="unresolved", place=where, detail=f"Code is {self.source.written(code)}")
        # A local path, which `aws cloudformation package` uploads and replaces.
        return CodeRef(kind="path", place=where, path=self.base_dir / value.text)

    def cdk_asset(self) -> str | None:
        """The asset a template from `cdk synth` takes the function's code from (Metadata
        aws:asset:path, relative to the folder that holds the template), or None."""
        prop, path = self.metadata("aws:asset:property"), self.metadata("aws:asset:path")
        return path.text if prop and prop.text == "Code" and path and path.text else None

    def s3_code(self, node: Node, where: Place, *, bucket: str, key: str, version: str) -> CodeRef:
        names = (bucket, key, version)
        bucket_value, key_value, version_value = (self.source.value(node.get(name)) for name in names)
        key_node = node.get(key)
        if bucket_value is None or key_value is None or key_node is None:
            return CodeRef(kind="missing", place=where, detail=f"no {bucket if bucket_value is None else key}")
        written = zip(names, (bucket_value, key_value, version_value))
        unresolved = [f"{name} is {v.written}" for name, v in written if v is not None and v.text is None]
        if unresolved or bucket_value.text is None or key_value.text is None:
            return CodeRef(kind="unresolved", place=self.source.place(key_node),
                           parameter=ref_target(key_node) or "", detail="; ".join(unresolved))
        return CodeRef(kind="s3", place=where, bucket=bucket_value.text, key=key_value.text,
                       version=version_value.text if version_value else None)
