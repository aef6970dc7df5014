// Package e2e runs the built cdkpush binary against real parts: a private
// dockerd, a Distribution registry with htpasswd auth, and moto_server for
// ECR, CloudFormation, STS and SSM, all started by the tests (see
// internal/rig). `make test` installs what they need.
package e2e
