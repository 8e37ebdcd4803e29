import * as cdk from '@aws-cdk/core';
import { Code, Function, Runtime } from '@aws-cdk/aws-lambda';
import { join } from 'path';

export class ReportStack extends cdk.Stack {
  constructor(scope: cdk.Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    new Function(this, 'report', {
      runtime: Runtime.GO_1_X,
      handler: 'main',
      code: Code.fromAsset(join(__dirname, '../src'), {
        bundling: {
          // image: Runtime.GO_1_X.bundlingDockerImage,   (the old way, kept for reference)
          image: Runtime.GO_1_X.bundlingDockerImage,
          command: ['bash', '-c', 'go build -o /asset-output/main ./cmd/report'],
        },
      }),
    });
  }
}
