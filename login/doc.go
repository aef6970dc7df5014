// Package login gets registry credentials for Amazon ECR through the AWS SDK
// for Go v2: GetAuthorizationToken, decoded and checked, fetched once per
// registry and shared by every caller. It also knows the ECR host and
// repository URI rules.
//
// Secrets never leave this package in printable form: Credentials renders as
// a redacted string in logs, errors and fmt verbs, and no error here quotes a
// token.
package login
