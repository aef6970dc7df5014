// Package login gets registry credentials for Amazon ECR through the AWS SDK
// for Go v2, and knows the ECR host and repository URI rules.
//
// A Provider calls GetAuthorizationToken in the registry's own region (with
// registryIds for another account's registry), or the ECR Public API in
// us-east-1 for public.ecr.aws, decodes and checks the token, and keeps it
// per registry and credentials identity for as long as it stays fresh,
// sharing one request between concurrent callers. AWSClients builds the
// SDK clients from a configuration loaded by config.LoadDefaultConfig and
// assumes per-destination roles through the SDK's stscreds provider; the
// SDK's retryer handles throttling and server errors.
//
// Errors say what was tried: an AccessDeniedError names the refused action,
// the region and the caller's ARN. Secrets never leave this package in
// printable form: Credentials renders as a redacted string in logs, errors
// and fmt verbs, and no error here quotes a token. The package never prints
// and runs no program.
package login
