#!/usr/bin/env bash
# Creates the cleanup function on a fresh account.
set -euo pipefail

GOOS=linux GOARCH=amd64 go build -o cleanup ./cmd/cleanup
zip cleanup.zip cleanup

aws lambda create-function \
  --function-name cleanup \
  --runtime go1.x \
  --handler cleanup \
  --role "arn:aws:iam::${ACCOUNT_ID}:role/cleanup" \
  --zip-file fileb://cleanup.zip
