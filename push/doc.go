// Package push sends local images to ECR repositories through the Docker
// Engine API: it plans which local image goes to which repository and tag,
// pushes with per-request credentials, reads the engine's whole answer (a
// failed push still answers HTTP 200), and confirms each manifest on the
// registry before calling the push done.
//
// The package never prints; it reports through an injected *slog.Logger and
// returns results.
package push
