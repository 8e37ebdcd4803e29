#!/bin/sh
# cgo needs a C compiler for the target: build on a machine like Lambda's.
set -eu
cd "$(dirname "$0")/.."
CGO_ENABLED=1 GOOS=linux go build -tags lambda.norpc -o build/bootstrap ./cmd/thumbnail
(cd build && zip -q thumbnail.zip bootstrap)
