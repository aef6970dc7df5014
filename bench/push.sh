#!/usr/bin/env bash
# push.sh: the shell script cdkpush replaces, as a CDK project would run it
# after `cdk deploy`: log in to ECR with the aws CLI and the docker CLI,
# then tag and push each image, one after another.
#
# Usage: push.sh REGISTRY IMAGE...
#
# The aws CLI gets --endpoint-url from AWS_ENDPOINT_URL, because Debian's
# aws CLI 2.9 does not read that variable itself. bench/pushbench runs this
# script side by side with cdkpush; see `make bench`.
set -euo pipefail

registry=$1
shift

endpoint=()
if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
	endpoint=(--endpoint-url "${AWS_ENDPOINT_URL}")
fi
aws ecr get-login-password --region "${AWS_REGION}" "${endpoint[@]}" |
	docker login --username AWS --password-stdin "${registry}"
for image in "$@"; do
	docker tag "${image}" "${registry}/${image}"
	docker push "${registry}/${image}"
done
