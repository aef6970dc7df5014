package push

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	digestA = "sha256:ad2b46b8f9f45b9005dc5b0ea5246b3b138e15c3a5e16faeb6d3987c50753c01"
	digestB = "sha256:bb8238cb0000000000000000000000000000000000000000000000000000000b"
)

func TestReadPushStream(t *testing.T) {
	progress := `{"status":"The push refers to repository [127.0.0.1:5055/web-api]"}
{"status":"Preparing","progressDetail":{},"id":"b427b67c4db5"}
{"status":"Pushing","progressDetail":{"current":512,"total":731},"id":"b427b67c4db5"}
{"status":"Pushed","progressDetail":{},"id":"b427b67c4db5"}
`
	tests := []struct {
		name   string
		stream string
		tag    string
		want   string
		// wantErr is a part of the error text; "" means no error.
		wantErr string
		// wantStream says the error is a *StreamError.
		wantStream bool
	}{
		{
			name: "success",
			stream: progress +
				`{"status":"1.2.3: digest: ` + digestA + ` size: 731"}` + "\n" +
				`{"progressDetail":{},"aux":{"Tag":"1.2.3","Digest":"` + digestA +
				`","Size":731}}` + "\n",
			tag:  "1.2.3",
			want: digestA,
		},
		{
			name:   "success without a final newline",
			stream: `{"aux":{"Tag":"1","Digest":"` + digestA + `","Size":1}}`,
			tag:    "1",
			want:   digestA,
		},
		{
			name:   "aux without a tag",
			stream: `{"aux":{"Digest":"` + digestA + `","Size":1}}`,
			tag:    "1",
			want:   digestA,
		},
		{
			name:       "error only",
			stream:     `{"error":"no basic auth credentials"}` + "\n",
			tag:        "1.2.3",
			wantErr:    "no basic auth credentials",
			wantStream: true,
		},
		{
			name: "error and errorDetail",
			stream: `{"errorDetail":{"message":"unauthorized: authentication required"},` +
				`"error":"unauthorized: authentication required"}` + "\n",
			tag:        "1.2.3",
			wantErr:    "unauthorized: authentication required",
			wantStream: true,
		},
		{
			name:       "errorDetail only",
			stream:     `{"errorDetail":{"message":"denied: not allowed"}}` + "\n",
			tag:        "1.2.3",
			wantErr:    "denied: not allowed",
			wantStream: true,
		},
		{
			name: "error after progress",
			stream: progress + `{"error":"Get \"http://127.0.0.1:5999/v2/\": dial tcp ` +
				`127.0.0.1:5999: connect: connection refused"}` + "\n",
			tag:        "1.2.3",
			wantErr:    "connect: connection refused",
			wantStream: true,
		},
		{
			name: "error after the digest",
			stream: progress +
				`{"aux":{"Tag":"1.2.3","Digest":"` + digestA + `","Size":731}}` + "\n" +
				`{"error":"late failure"}` + "\n",
			tag:        "1.2.3",
			wantErr:    "late failure",
			wantStream: true,
		},
		{
			name:    "no aux",
			stream:  progress,
			tag:     "1.2.3",
			wantErr: "without a digest",
		},
		{
			name:    "empty stream",
			stream:  "",
			tag:     "1.2.3",
			wantErr: "without a digest",
		},
		{
			name:    "aux for another tag",
			stream:  progress + `{"aux":{"Tag":"latest","Digest":"` + digestA + `","Size":1}}`,
			tag:     "1.2.3",
			wantErr: "without a digest",
		},
		{
			name: "aux for another tag, then for this one",
			stream: `{"aux":{"Tag":"latest","Digest":"` + digestB + `","Size":1}}` + "\n" +
				`{"aux":{"Tag":"1.2.3","Digest":"` + digestA + `","Size":1}}` + "\n",
			tag:  "1.2.3",
			want: digestA,
		},
		{
			name:    "aux without a digest",
			stream:  `{"aux":{"Tag":"1.2.3","Size":1}}`,
			tag:     "1.2.3",
			wantErr: "without a digest",
		},
		{
			name:    "malformed JSON",
			stream:  progress + `{"status":"Pushed",`,
			tag:     "1.2.3",
			wantErr: "reading the engine's push stream",
		},
		{
			name:    "not JSON",
			stream:  "<html>502 Bad Gateway</html>",
			tag:     "1.2.3",
			wantErr: "reading the engine's push stream",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPushStream(strings.NewReader(tt.stream), tt.tag, nil)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("readPushStream() = %q, %v, want %q, nil", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("readPushStream() = %q, %v, want error containing %q",
					got, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("readPushStream() digest = %q, want \"\" with an error", got)
			}
			var se *StreamError
			if isStream := errors.As(err, &se); isStream != tt.wantStream {
				t.Errorf("readPushStream() error %v is a *StreamError: %v, want %v",
					err, isStream, tt.wantStream)
			}
		})
	}
}

func TestReadPushStreamOnStatus(t *testing.T) {
	stream := `{"status":"The push refers to repository [127.0.0.1:5055/web-api]"}
{"status":"Preparing","progressDetail":{},"id":"b427b67c4db5"}
{"progressDetail":{},"id":"b427b67c4db5"}
{"status":"Pushed","progressDetail":{},"id":"b427b67c4db5"}
{"progressDetail":{},"aux":{"Tag":"1","Digest":"` + digestA + `","Size":731}}
`
	var got []string
	digest, err := readPushStream(strings.NewReader(stream), "1", func(m message) {
		got = append(got, m.Status+"|"+m.ID)
	})
	if err != nil || digest != digestA {
		t.Fatalf("readPushStream() = %q, %v, want %q, nil", digest, err, digestA)
	}
	want := []string{
		"The push refers to repository [127.0.0.1:5055/web-api]|",
		"Preparing|b427b67c4db5",
		"Pushed|b427b67c4db5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("onStatus saw (-want +got):\n%s", diff)
	}
}

func TestStreamErrorMessage(t *testing.T) {
	err := error(&StreamError{Message: "no basic auth credentials"})
	if got, want := err.Error(), "the engine reported: no basic auth credentials"; got != want {
		t.Errorf("StreamError.Error() = %q, want %q", got, want)
	}
}
