import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export class ApiStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    new lambda.Function(this, 'Orders', {
      runtime: lambda.Runtime.GO_1_X,
      handler: 'orders',
      code: lambda.Code.fromAsset('../bin/orders.zip'),
    });

    new lambda.Function(this, 'Payments', {
      runtime: lambda.Runtime.PROVIDED_AL2,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset('../bin/payments.zip'),
    });

    // Already migrated: nothing to report.
    new lambda.Function(this, 'Search', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset('../bin/search.zip'),
    });
  }
}
