package push

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/image"

	"github.com/cdkpush/cdkpush/stackinfo"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    Platform
		wantStr string
		wantErr bool
	}{
		{in: "linux/amd64", want: Platform{OS: "linux", Architecture: "amd64"},
			wantStr: "linux/amd64"},
		{in: "linux/x86_64", want: Platform{OS: "linux", Architecture: "amd64"},
			wantStr: "linux/amd64"},
		{in: "Linux/AMD64", want: Platform{OS: "linux", Architecture: "amd64"},
			wantStr: "linux/amd64"},
		{in: "linux/arm64/v8", want: Platform{OS: "linux", Architecture: "arm64"},
			wantStr: "linux/arm64"},
		{in: "linux/aarch64", want: Platform{OS: "linux", Architecture: "arm64"},
			wantStr: "linux/arm64"},
		{in: "linux/arm", want: Platform{OS: "linux", Architecture: "arm", Variant: "v7"},
			wantStr: "linux/arm/v7"},
		{in: "linux/arm/v6", want: Platform{OS: "linux", Architecture: "arm", Variant: "v6"},
			wantStr: "linux/arm/v6"},
		{in: " windows/amd64 ", want: Platform{OS: "windows", Architecture: "amd64"},
			wantStr: "windows/amd64"},
		{in: "linux", wantErr: true},
		{in: "linux/", wantErr: true},
		{in: "/amd64", wantErr: true},
		{in: "linux/arm/v7/x", wantErr: true},
		{in: "", wantErr: true},
		{in: "linux/am d64", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePlatform(tt.in)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "os/arch[/variant]") {
					t.Fatalf("ParsePlatform(%q) = %v, %v, want an os/arch error", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want || got.String() != tt.wantStr {
				t.Fatalf("ParsePlatform(%q) = %+v (%s), %v, want %+v (%s)", tt.in, got, got,
					err, tt.want, tt.wantStr)
			}
		})
	}
}

func TestPlatformMatches(t *testing.T) {
	tests := []struct {
		want, have string
		match      bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/amd64", "linux/x86_64", true},
		{"linux/amd64", "linux/arm64", false},
		{"linux/amd64", "windows/amd64", false},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64", "linux/aarch64", true},
		{"linux/arm/v7", "linux/arm", true},
		{"linux/arm/v7", "linux/arm/v6", false},
		{"linux/arm", "linux/armhf", true},
		{"linux/amd64", "linux/amd64/v3", true},
		{"linux/amd64/v3", "linux/amd64", false},
	}
	for _, tt := range tests {
		t.Run(tt.want+" "+tt.have, func(t *testing.T) {
			w, h := parse(t, tt.want), parseLoose(tt.have)
			if got := w.Matches(h); got != tt.match {
				t.Errorf("%s.Matches(%s) = %v, want %v", w, h, got, tt.match)
			}
		})
	}
	if got := (Platform{}).String(); got != "unknown/unknown" {
		t.Errorf("Platform{}.String() = %q", got)
	}
}

func parse(t *testing.T, s string) Platform {
	t.Helper()
	p, err := ParsePlatform(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// parseLoose splits a platform the way the engine reports one, without
// normalizing it.
func parseLoose(s string) Platform {
	parts := strings.Split(s, "/")
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p
}

func TestMakePlanPlatform(t *testing.T) {
	repos := []stackinfo.Repository{repoWeb, repoBase}
	images := []image.Summary{summary(idWeb, "web-api:1", "web-api:2"),
		summary(idBase, "team/base:1")}
	tests := []struct {
		name      string
		platforms map[string]Platform
		want      string
		wantErr   []string
	}{
		{name: "no platform asked", platforms: map[string]Platform{
			idWeb: {OS: "linux", Architecture: "arm64"}}},
		{name: "all match", want: "linux/amd64"},
		{name: "alias", want: "linux/x86_64"},
		{
			name:      "one image of another platform",
			platforms: map[string]Platform{idWeb: {OS: "linux", Architecture: "arm64"}},
			want:      "linux/amd64",
			wantErr: []string{`local image "web-api:1"`, "(sha256:111111111111)",
				"linux/arm64, not linux/amd64", "--platform"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine := newFakeEngine(images...)
			for id, p := range tt.platforms {
				engine.platforms[id] = p
			}
			opts := PlanOptions{}
			if tt.want != "" {
				opts.Platform = parse(t, tt.want)
			}
			plan, err := MakePlan(context.Background(), engine, repos, opts)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("MakePlan() = %v", err)
				}
				for _, j := range plan.Jobs {
					if j.Local == nil || j.Platform != opts.Platform {
						t.Errorf("MakePlan() job %+v, want Local and Platform set", j)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("MakePlan() = %v, want an error", jobLines(plan.Jobs))
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("MakePlan() = %v, want it to contain %q", err, w)
				}
			}
			// One error per image, not per tag.
			if n := strings.Count(err.Error(), "checking the platform"); n != 1 {
				t.Errorf("MakePlan() = %v, want one line for the image", err)
			}
		})
	}
}

func TestMakePlanInspectsEachImageOnce(t *testing.T) {
	engine := newFakeEngine(summary(idWeb, "web-api:1", "web-api:2", "web-api:3"),
		summary(idBase, "team/base:1"))
	plan, err := MakePlan(context.Background(), engine,
		[]stackinfo.Repository{repoWeb, repoBase, repoWorker},
		PlanOptions{Mappings: []Mapping{{Key: "WebApiStack/WorkerRepo", Image: "web-api:1"}}})
	if err != nil {
		t.Fatalf("MakePlan() = %v", err)
	}
	if len(plan.Jobs) != 5 {
		t.Fatalf("MakePlan() = %q, want 5 jobs", jobLines(plan.Jobs))
	}
	var inspects []string
	for _, c := range engine.Calls() {
		if strings.HasPrefix(c, "inspect ") {
			inspects = append(inspects, c)
		}
	}
	// The mapped image by its reference, the other by id.
	want := []string{"inspect web-api:1", "inspect " + idBase}
	if strings.Join(inspects, ",") != strings.Join(want, ",") {
		t.Errorf("MakePlan() inspections = %q, want %q", inspects, want)
	}
}
