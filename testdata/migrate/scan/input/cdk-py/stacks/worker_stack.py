from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as _lambda
from constructs import Construct


class WorkerStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        _lambda.Function(
            self,
            "Worker",
            runtime=_lambda.Runtime.GO_1_X,
            handler="worker",
            code=_lambda.Code.from_asset("../bin/worker.zip"),
            timeout=Duration.seconds(30),
        )
