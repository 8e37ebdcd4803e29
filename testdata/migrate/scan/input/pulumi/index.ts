import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const role = new aws.iam.Role("fn-role", {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "lambda.amazonaws.com" }),
});

export const resizer = new aws.lambda.Function("resizer", {
    runtime: aws.lambda.Runtime.Go1dx,
    handler: "resizer",
    role: role.arn,
    code: new pulumi.asset.FileArchive("../bin/resizer.zip"),
});

export const thumbnailer = new aws.lambda.Function("thumbnailer", {
    runtime: "go1.x",
    handler: "thumbnailer",
    role: role.arn,
    code: new pulumi.asset.FileArchive("../bin/thumbnailer.zip"),
});
