// Package push sends local images to ECR repositories. It plans which local
// image goes to which repository and tag (MakePlan), checks that every
// target repository exists and which tags are immutable (CheckRepositories),
// and then pushes (Pusher): it first asks the registry what each tag holds,
// so that a tag that already holds the image is reported up to date and not
// pushed, and a changed image under an immutable tag is refused before
// anything is pushed; then it uploads what the Docker Engine exports, or has
// the engine push, retrying transient failures, and confirms each manifest
// on the registry before calling the push done.
//
// The package never prints; it reports progress as Events through a
// callback, logs through an injected *slog.Logger, and returns results.
package push
