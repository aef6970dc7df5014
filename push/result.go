package push

// Result statuses.
const (
	StatusPushed    = "pushed"
	StatusUpToDate  = "up-to-date"
	StatusSkipped   = "skipped"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Result is what happened to one job, or to one skipped repository.
type Result struct {
	// Image is the local reference; empty for a skipped repository.
	Image string `json:"image"`
	// Repository is the repository URI.
	Repository string `json:"repository"`
	// Path is the repository's construct path.
	Path string `json:"path"`
	// Tag is the pushed tag.
	Tag string `json:"tag"`
	// Digest is the manifest digest the registry holds after the push.
	Digest string `json:"digest"`
	// Status is one of the Status constants.
	Status string `json:"status"`
	// Error says why a push failed; Reason why a repository was skipped.
	Error  string `json:"error"`
	Reason string `json:"reason,omitempty"`
}

// Report is the machine-readable outcome of a run.
type Report struct {
	Results []Result `json:"results"`
	// Error says why the run stopped before it could push, if it did.
	Error string `json:"error,omitempty"`
}

// Failed reports whether any result failed or was cancelled.
func (r Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == StatusFailed || res.Status == StatusCancelled {
			return true
		}
	}
	return false
}

// SkippedResults turns skipped repositories into results.
func SkippedResults(skips []Skip) []Result {
	out := make([]Result, len(skips))
	for i, s := range skips {
		out[i] = Result{
			Repository: s.Repository.URI,
			Path:       s.Repository.Path,
			Status:     StatusSkipped,
			Reason:     s.Reason,
		}
	}
	return out
}
