module example.com/ledger

go 1.19

require github.com/aws/aws-lambda-go v1.41.0
