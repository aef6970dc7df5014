package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cdkpush/cdkpush/push"
)

func sampleReport() push.Report {
	return push.Report{Results: []push.Result{
		{Image: "web-api:1.2.3", Repository: registry + "/web-api", Path: "S/WebApiRepo",
			Tag: "1.2.3", Digest: digestWeb, Status: push.StatusPushed},
		{Image: "team/base:7", Repository: registry + "/team/base", Path: "S/BaseRepo",
			Tag: "7", Digest: digestBase, Status: push.StatusUpToDate},
		{Image: "worker:dev", Repository: registry + "/worker", Path: "S/WorkerRepo",
			Tag: "dev", Status: push.StatusFailed, Error: "pushing x: denied"},
		{Repository: registry + "/cache", Path: "S/CacheRepo", Status: push.StatusSkipped,
			Reason: `no local image named "cache"`},
	}}
}

func TestPrintReportText(t *testing.T) {
	var buf bytes.Buffer
	if err := printReport(&buf, sampleReport(), false); err != nil {
		t.Fatal(err)
	}
	want := registry + "/web-api@" + digestWeb + "\n" + registry + "/team/base@" + digestBase + "\n"
	if buf.String() != want {
		t.Errorf("printReport() = %q, want %q", buf.String(), want)
	}
}

func TestPrintReportJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := printReport(&buf, sampleReport(), true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("decoding %s: %v", buf.String(), err)
	}
	if len(got.Results) != 4 {
		t.Fatalf("printReport() results = %v, want 4", got.Results)
	}
	// Every result has the documented keys, whatever its status.
	for i, r := range got.Results {
		for _, k := range []string{"image", "repository", "path", "tag", "digest", "status",
			"error"} {
			if _, ok := r[k]; !ok {
				t.Errorf("result %d lacks %q: %v", i, k, r)
			}
		}
	}
	want := map[string]any{
		"image": "team/base:7", "repository": registry + "/team/base", "path": "S/BaseRepo",
		"tag": "7", "digest": digestBase, "status": "up-to-date", "error": "",
	}
	if diff := cmp.Diff(want, got.Results[1]); diff != "" {
		t.Errorf("up-to-date result (-want +got):\n%s", diff)
	}
	if got.Results[3]["reason"] != `no local image named "cache"` {
		t.Errorf("skipped result = %v, want its reason", got.Results[3])
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	writeFile(t, path, "old content")
	if err := writeReport(path, sampleReport()); err != nil {
		t.Fatalf("writeReport() = %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := printReport(&want, sampleReport(), true); err != nil {
		t.Fatal(err)
	}
	if string(data) != want.String() {
		t.Errorf("report file = %s, want what --json prints:\n%s", data, want.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d files after writeReport(), want only the report", len(entries))
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("report mode = %v, %v, want 0644", info.Mode(), err)
	}
}

func TestWriteReportNoFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nosuch", "report.json")
	err := writeReport(path, sampleReport())
	if err == nil || !strings.Contains(err.Error(), "writing the report "+path) {
		t.Errorf("writeReport() = %v, want an error naming %s", err, path)
	}
}
