package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

func NewInfraStack(scope constructs.Construct, id string) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, nil)
	awslambda.NewFunction(stack, jsii.String("Mailer"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_GO_1_X(),
		Handler: jsii.String("mailer"),
		Code:    awslambda.Code_FromAsset(jsii.String("../bin/mailer.zip"), nil),
	})
	return stack
}

func main() {
	app := awscdk.NewApp(nil)
	NewInfraStack(app, "InfraStack")
	app.Synth(nil)
}
