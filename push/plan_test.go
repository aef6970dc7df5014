package push

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/image"

	"github.com/cdkpush/cdkpush/stackinfo"
)

func TestParseMapping(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Mapping
		wantErr bool
	}{
		{
			name: "repository name",
			in:   "web-api=web-api:1.2.3",
			want: Mapping{Key: "web-api", Image: "web-api:1.2.3"},
		},
		{
			name: "construct path",
			in:   "WebApiStack/WorkerRepo=worker:dev",
			want: Mapping{Key: "WebApiStack/WorkerRepo", Image: "worker:dev"},
		},
		{
			name: "spaces trimmed",
			in:   " web-api = web-api:1 ",
			want: Mapping{Key: "web-api", Image: "web-api:1"},
		},
		{
			name: "registry with a port in the image",
			in:   "team/base=localhost:5000/team/base:1",
			want: Mapping{Key: "team/base", Image: "localhost:5000/team/base:1"},
		},
		{
			name: "digest",
			in:   "web-api=web-api@" + digestA,
			want: Mapping{Key: "web-api", Image: "web-api@" + digestA},
		},
		{name: "no equals sign", in: "web-api", wantErr: true},
		{name: "empty key", in: "=web-api:1", wantErr: true},
		{name: "empty image", in: "web-api=", wantErr: true},
		{name: "blank image", in: "web-api=  ", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMapping(tt.in)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "KEY=LOCALREF") {
					t.Fatalf("ParseMapping(%q) = %+v, %v, want a KEY=LOCALREF error",
						tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMapping(%q) = %+v, %v, want %+v, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

const (
	idWeb    = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	idWeb2   = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	idWorker = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	idBase   = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	idNone   = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
	idOther  = "sha256:6666666666666666666666666666666666666666666666666666666666666666"
)

var (
	repoWeb = stackinfo.Repository{
		Stack: "WebApiStack", Path: "WebApiStack/WebApiRepo", LogicalID: "WebApiRepo378C281F",
		Name: "web-api", Account: "123456789012", Region: "us-east-1",
		URI: ecrHost + "/web-api", Source: stackinfo.SourceTemplate,
	}
	repoWorker = stackinfo.Repository{
		Stack: "WebApiStack", Path: "WebApiStack/WorkerRepo", LogicalID: "WorkerRepoEE566D3E",
		Name: "webapistack-workerrepo-abc", Account: "123456789012", Region: "us-east-1",
		URI: ecrHost + "/webapistack-workerrepo-abc", Source: stackinfo.SourceOutputsFile,
	}
	repoBase = stackinfo.Repository{
		Stack: "BaseStack", Path: "BaseStack/BaseRepo", LogicalID: "BaseRepo1",
		Name: "team/base", Account: "123456789012", Region: "us-east-1",
		URI: ecrHost + "/team/base", Source: stackinfo.SourceTemplate,
	}
	// repoNoName is a generated name that is not known yet.
	repoNoName = stackinfo.Repository{
		Stack: "WebApiStack", Path: "WebApiStack/CacheRepo", LogicalID: "CacheRepo1",
		Account: "123456789012", Region: "us-east-1",
	}
	// repoNoAccount is a named repository of an environment-agnostic stack
	// whose account is unknown.
	repoNoAccount = stackinfo.Repository{
		Stack: "AgnosticStack", Path: "AgnosticStack/JobsRepo", LogicalID: "JobsRepo1",
		Name: "jobs", Source: stackinfo.SourceTemplate,
	}
)

func summary(id string, tags ...string) image.Summary {
	return image.Summary{ID: id, RepoTags: tags}
}

// jobLines shows jobs as "IMAGE ID -> TARGET".
func jobLines(jobs []Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, fmt.Sprintf("%s %s -> %s", j.Image, j.ImageID[7:11], j.Target()))
	}
	return out
}

// skipLines shows skips as "PATH: REASON".
func skipLines(skips []Skip) []string {
	var out []string
	for _, s := range skips {
		out = append(out, s.Repository.Path+": "+s.Reason)
	}
	return out
}

func TestMakePlan(t *testing.T) {
	tests := []struct {
		name     string
		images   []image.Summary
		aliases  map[string]string
		repos    []stackinfo.Repository
		opts     PlanOptions
		wantJobs []string
		wantSkip []string
	}{
		{
			name: "convention: two tags of one image",
			images: []image.Summary{
				summary(idWeb, "web-api:1.2.3", "web-api:latest"),
				summary(idNone, "<none>:<none>"),
				summary(idOther, "registry.example.com/web-api:1"),
			},
			repos: []stackinfo.Repository{repoWeb},
			wantJobs: []string{
				"web-api:1.2.3 1111 -> " + ecrHost + "/web-api:1.2.3",
				"web-api:latest 1111 -> " + ecrHost + "/web-api:latest",
			},
		},
		{
			name: "convention: an image in another registry is not the repository's",
			images: []image.Summary{
				summary(idOther, "registry.example.com/web-api:1"),
				summary(idWorker, "localhost:5000/web-api:1"),
				summary(idNone, "<none>:<none>"),
			},
			repos:    []stackinfo.Repository{repoWeb},
			wantSkip: []string{`WebApiStack/WebApiRepo: no local image named "web-api"`},
		},
		{
			name: "convention: a longer or shorter name does not match",
			images: []image.Summary{
				summary(idOther, "web-api-old:1", "web:1", "foo/web-api:1"),
			},
			repos:    []stackinfo.Repository{repoWeb},
			wantSkip: []string{`WebApiStack/WebApiRepo: no local image named "web-api"`},
		},
		{
			name: "convention: the repository's own URI",
			images: []image.Summary{
				summary(idWeb, ecrHost+"/web-api:7"),
			},
			repos:    []stackinfo.Repository{repoWeb},
			wantJobs: []string{ecrHost + "/web-api:7 1111 -> " + ecrHost + "/web-api:7"},
		},
		{
			name: "convention: the same tag by plain name and by URI, one image",
			images: []image.Summary{
				summary(idWeb, "web-api:7", ecrHost+"/web-api:7"),
			},
			repos:    []stackinfo.Repository{repoWeb},
			wantJobs: []string{ecrHost + "/web-api:7 1111 -> " + ecrHost + "/web-api:7"},
		},
		{
			name: "convention: a name that looks like another registry",
			images: []image.Summary{
				summary(idOther, "example.com/web:1"),
			},
			repos: []stackinfo.Repository{{
				Path: "S/R", Name: "example.com/web", Account: "123456789012",
				Region: "us-east-1", URI: ecrHost + "/example.com/web",
			}},
			wantSkip: []string{`S/R: no local image named "example.com/web"`},
		},
		{
			name:     "convention: a name with a slash",
			images:   []image.Summary{summary(idBase, "team/base:1", "base:1")},
			repos:    []stackinfo.Repository{repoBase},
			wantJobs: []string{"team/base:1 4444 -> " + ecrHost + "/team/base:1"},
		},
		{
			name: "unknown name or account is skipped",
			images: []image.Summary{
				summary(idWeb, "web-api:1"),
				summary(idOther, "jobs:1"),
			},
			repos:    []stackinfo.Repository{repoNoName, repoWeb, repoNoAccount},
			wantJobs: []string{"web-api:1 1111 -> " + ecrHost + "/web-api:1"},
			wantSkip: []string{
				"WebApiStack/CacheRepo: its name is unknown: deploy its stack, or pass the " +
					"outputs file",
				"AgnosticStack/JobsRepo: its stack's region is unknown: pass --region or " +
					"set AWS_REGION",
			},
		},
		{
			name:   "mapping by repository name",
			images: []image.Summary{summary(idOther, "build-output:5")},
			repos:  []stackinfo.Repository{repoWeb, repoWorker},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "webapistack-workerrepo-abc", Image: "build-output:5"},
			}},
			wantJobs: []string{
				"build-output:5 6666 -> " + ecrHost + "/webapistack-workerrepo-abc:5",
			},
			wantSkip: []string{`WebApiStack/WebApiRepo: no local image named "web-api"`},
		},
		{
			name:   "mapping by construct path",
			images: []image.Summary{summary(idWorker, "worker:dev")},
			repos:  []stackinfo.Repository{repoWeb, repoWorker},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "WebApiStack/WorkerRepo", Image: "worker:dev"},
			}},
			wantJobs: []string{
				"worker:dev 3333 -> " + ecrHost + "/webapistack-workerrepo-abc:dev",
			},
			wantSkip: []string{`WebApiStack/WebApiRepo: no local image named "web-api"`},
		},
		{
			name:   "mapping without a tag pushes latest",
			images: []image.Summary{summary(idWorker, "worker:latest")},
			repos:  []stackinfo.Repository{repoWorker},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "WebApiStack/WorkerRepo", Image: "worker"},
			}},
			wantJobs: []string{
				"worker 3333 -> " + ecrHost + "/webapistack-workerrepo-abc:latest",
			},
		},
		{
			name:    "mapping by digest with a tag",
			images:  []image.Summary{summary(idWorker, "worker:latest")},
			aliases: map[string]string{"worker@" + digestA: idWorker},
			repos:   []stackinfo.Repository{repoWorker},
			opts: PlanOptions{
				Mappings: []Mapping{{Key: "WebApiStack/WorkerRepo", Image: "worker@" + digestA}},
				Tags:     []string{"v1"},
			},
			wantJobs: []string{
				"worker@" + digestA + " 3333 -> " + ecrHost + "/webapistack-workerrepo-abc:v1",
			},
		},
		{
			// An id parses as the name "sha256" tagged with the digits; it
			// must get the default tag instead.
			name:    "mapping by full image id",
			images:  []image.Summary{summary(idWorker)},
			aliases: map[string]string{idWorker: idWorker},
			repos:   []stackinfo.Repository{repoWorker},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "WebApiStack/WorkerRepo", Image: idWorker},
			}},
			wantJobs: []string{
				idWorker + " 3333 -> " + ecrHost + "/webapistack-workerrepo-abc:latest",
			},
		},
		{
			name: "mapping wins over convention",
			images: []image.Summary{
				summary(idWeb, "web-api:1.2.3"),
				summary(idOther, "other:2"),
			},
			repos:    []stackinfo.Repository{repoWeb},
			opts:     PlanOptions{Mappings: []Mapping{{Key: "web-api", Image: "other:2"}}},
			wantJobs: []string{"other:2 6666 -> " + ecrHost + "/web-api:2"},
		},
		{
			name:   "mapping with extra tags",
			images: []image.Summary{summary(idOther, "other:2")},
			repos:  []stackinfo.Repository{repoWeb},
			opts: PlanOptions{
				Mappings: []Mapping{{Key: "web-api", Image: "other:2"}},
				Tags:     []string{"prod", "2"},
			},
			wantJobs: []string{
				"other:2 6666 -> " + ecrHost + "/web-api:2",
				"other:2 6666 -> " + ecrHost + "/web-api:prod",
			},
		},
		{
			name: "--tag with a single image",
			images: []image.Summary{
				summary(idWeb, "web-api:1.2.3", "web-api:latest"),
			},
			repos: []stackinfo.Repository{repoWeb},
			opts:  PlanOptions{Tags: []string{"prod", "1.2.3"}},
			wantJobs: []string{
				"web-api:1.2.3 1111 -> " + ecrHost + "/web-api:1.2.3",
				"web-api:latest 1111 -> " + ecrHost + "/web-api:latest",
				"web-api:1.2.3 1111 -> " + ecrHost + "/web-api:prod",
			},
		},
		{
			name: "--tag on a repository without an image",
			images: []image.Summary{
				summary(idWeb, "web-api:1"),
			},
			repos: []stackinfo.Repository{repoWeb, repoBase},
			opts:  PlanOptions{Tags: []string{"prod"}},
			wantJobs: []string{
				"web-api:1 1111 -> " + ecrHost + "/web-api:1",
				"web-api:1 1111 -> " + ecrHost + "/web-api:prod",
			},
			wantSkip: []string{`BaseStack/BaseRepo: no local image named "team/base"`},
		},
		{
			name: "several repositories, sorted by URI then tag",
			images: []image.Summary{
				summary(idWeb, "web-api:2", "web-api:10"),
				summary(idBase, "team/base:1"),
				summary(idWorker, "worker:dev"),
			},
			repos: []stackinfo.Repository{repoWorker, repoWeb, repoBase},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "WebApiStack/WorkerRepo", Image: "worker:dev"},
			}},
			wantJobs: []string{
				"team/base:1 4444 -> " + ecrHost + "/team/base:1",
				"web-api:10 1111 -> " + ecrHost + "/web-api:10",
				"web-api:2 1111 -> " + ecrHost + "/web-api:2",
				"worker:dev 3333 -> " + ecrHost + "/webapistack-workerrepo-abc:dev",
			},
		},
		{
			name:     "global endpoint",
			images:   []image.Summary{summary(idWeb, "web-api:1")},
			repos:    []stackinfo.Repository{repoWeb},
			opts:     PlanOptions{Endpoints: mustEndpoints(t, "localhost:5000")},
			wantJobs: []string{"web-api:1 1111 -> localhost:5000/web-api:1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine := newFakeEngine(tt.images...)
			for ref, id := range tt.aliases {
				engine.aliases[ref] = id
			}
			plan, err := MakePlan(context.Background(), engine, tt.repos, tt.opts)
			if err != nil {
				t.Fatalf("MakePlan() = %v", err)
			}
			if diff := cmp.Diff(tt.wantJobs, jobLines(plan.Jobs)); diff != "" {
				t.Errorf("MakePlan() jobs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkip, skipLines(plan.Skipped)); diff != "" {
				t.Errorf("MakePlan() skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func mustEndpoints(t *testing.T, values ...string) Endpoints {
	t.Helper()
	eps, err := ParseEndpoints(values)
	if err != nil {
		t.Fatalf("ParseEndpoints(%q) = %v", values, err)
	}
	return eps
}

func TestMakePlanErrors(t *testing.T) {
	tests := []struct {
		name       string
		images     []image.Summary
		repos      []stackinfo.Repository
		opts       PlanOptions
		listErr    error
		inspectErr error
		aliases    map[string]string
		// wantErr are parts of the error text.
		wantErr []string
	}{
		{
			name:   "mapping to a missing local image",
			images: []image.Summary{summary(idWeb, "web-api:1")},
			repos:  []stackinfo.Repository{repoWeb},
			opts:   PlanOptions{Mappings: []Mapping{{Key: "web-api", Image: "ghost:1"}}},
			wantErr: []string{
				`"web-api=ghost:1"`, `local image "ghost:1" not found`,
			},
		},
		{
			name:   "mapping key names nothing",
			images: []image.Summary{summary(idWeb, "web-api:1")},
			repos:  []stackinfo.Repository{repoWeb, repoWorker},
			opts:   PlanOptions{Mappings: []Mapping{{Key: "WebApiStack/Nope", Image: "web-api:1"}}},
			wantErr: []string{
				`"WebApiStack/Nope=web-api:1"`, "no repository",
				`"web-api" (WebApiStack/WebApiRepo)`,
				`"webapistack-workerrepo-abc" (WebApiStack/WorkerRepo)`,
			},
		},
		{
			name:    "mapping key with no repositories at all",
			opts:    PlanOptions{Mappings: []Mapping{{Key: "web-api", Image: "web-api:1"}}},
			wantErr: []string{"repositories: none"},
		},
		{
			name:   "mapping to a repository without a URI",
			images: []image.Summary{summary(idWeb, "web-api:1")},
			repos:  []stackinfo.Repository{repoNoAccount},
			opts:   PlanOptions{Mappings: []Mapping{{Key: "jobs", Image: "web-api:1"}}},
			wantErr: []string{
				`"jobs=web-api:1"`, `"jobs" (AgnosticStack/JobsRepo)`, "unknown",
			},
		},
		{
			name:   "mapping to a repository without a name, by path",
			images: []image.Summary{summary(idWeb, "web-api:1")},
			repos:  []stackinfo.Repository{repoNoName},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "WebApiStack/CacheRepo", Image: "web-api:1"},
			}},
			wantErr: []string{"WebApiStack/CacheRepo", "unknown"},
		},
		{
			name:   "two mappings to one repository",
			images: []image.Summary{summary(idWeb, "web-api:1"), summary(idOther, "other:1")},
			repos:  []stackinfo.Repository{repoWeb},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "web-api", Image: "web-api:1"},
				{Key: "WebApiStack/WebApiRepo", Image: "other:1"},
			}},
			wantErr: []string{`"WebApiStack/WebApiRepo=other:1"`, "already mapped"},
		},
		{
			name:    "mapping to an invalid reference",
			repos:   []stackinfo.Repository{repoWeb},
			opts:    PlanOptions{Mappings: []Mapping{{Key: "web-api", Image: "Web-API:1"}}},
			wantErr: []string{`"Web-API:1" is not an image reference`},
		},
		{
			name:    "mapping by digest without a tag",
			images:  []image.Summary{summary(idWeb, "web-api:1")},
			aliases: map[string]string{"web-api@" + digestA: idWeb},
			repos:   []stackinfo.Repository{repoWeb},
			opts: PlanOptions{Mappings: []Mapping{
				{Key: "web-api", Image: "web-api@" + digestA},
			}},
			wantErr: []string{`"web-api=web-api@` + digestA + `"`, "--tag"},
		},
		{
			name: "--tag with two different images",
			images: []image.Summary{
				summary(idWeb, "web-api:1"),
				summary(idWeb2, "web-api:2"),
			},
			repos:   []stackinfo.Repository{repoWeb},
			opts:    PlanOptions{Tags: []string{"prod"}},
			wantErr: []string{"web-api:1", "web-api:2", "different images", "--image web-api="},
		},
		{
			name:    "invalid --tag",
			images:  []image.Summary{summary(idWeb, "web-api:1")},
			repos:   []stackinfo.Repository{repoWeb},
			opts:    PlanOptions{Tags: []string{"prod", "not valid"}},
			wantErr: []string{`tag "not valid" is not a valid image tag`},
		},
		{
			name:    "--tag starting with a dot",
			repos:   []stackinfo.Repository{repoWeb},
			opts:    PlanOptions{Tags: []string{".hidden"}},
			wantErr: []string{`tag ".hidden"`},
		},
		{
			name:    "--tag too long",
			repos:   []stackinfo.Repository{repoWeb},
			opts:    PlanOptions{Tags: []string{strings.Repeat("a", 129)}},
			wantErr: []string{"is not a valid image tag"},
		},
		{
			name:    "empty --tag",
			repos:   []stackinfo.Repository{repoWeb},
			opts:    PlanOptions{Tags: []string{""}},
			wantErr: []string{`tag ""`},
		},
		{
			name: "one tag, two images",
			images: []image.Summary{
				summary(idWeb, "web-api:1"),
				summary(idWeb2, ecrHost+"/web-api:1"),
			},
			repos:   []stackinfo.Repository{repoWeb},
			wantErr: []string{ecrHost + "/web-api:1 would get two images"},
		},
		{
			name:    "listing fails",
			repos:   []stackinfo.Repository{repoWeb},
			listErr: errors.New("engine gone"),
			wantErr: []string{"listing local images", "engine gone"},
		},
		{
			name:       "inspecting fails",
			repos:      []stackinfo.Repository{repoWeb},
			opts:       PlanOptions{Mappings: []Mapping{{Key: "web-api", Image: "web-api:1"}}},
			inspectErr: errors.New("engine gone"),
			wantErr:    []string{`inspecting local image "web-api:1"`, "engine gone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			engine := newFakeEngine(tt.images...)
			engine.listErr, engine.inspectErr = tt.listErr, tt.inspectErr
			for ref, id := range tt.aliases {
				engine.aliases[ref] = id
			}
			plan, err := MakePlan(context.Background(), engine, tt.repos, tt.opts)
			if err == nil {
				t.Fatalf("MakePlan() = %v, nil, want an error", jobLines(plan.Jobs))
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("MakePlan() = %v, want error containing %q", err, want)
				}
			}
		})
	}
}

func TestMakePlanDeterministic(t *testing.T) {
	images := []image.Summary{
		summary(idWeb, "web-api:2", "web-api:1", ecrHost+"/web-api:3"),
		summary(idBase, "team/base:b", "team/base:a"),
		summary(idNone, "<none>:<none>"),
		summary(idOther, "other:1"),
	}
	repos := []stackinfo.Repository{repoWeb, repoBase, repoWorker}
	opts := PlanOptions{
		Mappings: []Mapping{{Key: "WebApiStack/WorkerRepo", Image: "other:1"}},
		Tags:     []string{"prod"},
	}
	var first []string
	for i := range 8 {
		imgs := slices.Clone(images)
		// Rotate and reverse, so the engine lists images in other orders.
		imgs = append(imgs[i%len(imgs):], imgs[:i%len(imgs)]...)
		if i%2 == 1 {
			slices.Reverse(imgs)
		}
		rs := slices.Clone(repos)
		if i%3 == 1 {
			slices.Reverse(rs)
		}
		plan, err := MakePlan(context.Background(), newFakeEngine(imgs...), rs, opts)
		if err != nil {
			t.Fatalf("MakePlan() = %v", err)
		}
		got := jobLines(plan.Jobs)
		if i == 0 {
			first = got
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("MakePlan() with images in order %d (-first +got):\n%s", i, diff)
		}
	}
	if len(first) != 9 {
		t.Errorf("MakePlan() made %d jobs, want 9: %q", len(first), first)
	}
}

func TestMakePlanEndpointOverride(t *testing.T) {
	engine := newFakeEngine(summary(idWeb, "web-api:1"), summary(idBase, "team/base:1"))
	other := repoBase
	other.URI = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/base"
	other.Account, other.Region = "210987654321", "eu-west-1"
	eps := mustEndpoints(t, ecrHost+"=localhost:5000")
	plan, err := MakePlan(context.Background(), engine,
		[]stackinfo.Repository{repoWeb, other}, PlanOptions{Endpoints: eps})
	if err != nil {
		t.Fatalf("MakePlan() = %v", err)
	}
	want := []Job{
		{
			Image: "web-api:1", ImageID: idWeb, Repository: repoWeb, Registry: ecrHost,
			Endpoint: Endpoint{Host: "localhost:5000", PlainHTTP: true}, Tag: "1",
		},
		{
			Image: "team/base:1", ImageID: idBase, Repository: other,
			Registry: "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
			Endpoint: Endpoint{Host: "210987654321.dkr.ecr.eu-west-1.amazonaws.com"},
			Tag:      "1",
		},
	}
	opt := cmpopts.IgnoreUnexported(stackinfo.Repository{})
	for i, id := range []string{idWeb, idBase} {
		if l := plan.Jobs[i].Local; l == nil || l.ID != id {
			t.Errorf("MakePlan() job %d Local = %+v, want the inspection of %s", i, l, id)
		}
	}
	opt = cmp.Options{opt, cmpopts.IgnoreFields(Job{}, "Local")}
	if diff := cmp.Diff(want, plan.Jobs, opt); diff != "" {
		t.Fatalf("MakePlan() jobs (-want +got):\n%s", diff)
	}
	targets := []string{plan.Jobs[0].Target(), plan.Jobs[1].Target()}
	wantTargets := []string{
		"localhost:5000/web-api:1",
		"210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/base:1",
	}
	if diff := cmp.Diff(wantTargets, targets); diff != "" {
		t.Errorf("Job.Target() (-want +got):\n%s", diff)
	}
}

func TestMakePlanListsImagesOnlyWhenNeeded(t *testing.T) {
	engine := newFakeEngine(summary(idWeb, "web-api:1"))
	engine.listErr = errors.New("ImageList must not be called")
	repos := []stackinfo.Repository{repoWeb, repoNoName}
	opts := PlanOptions{Mappings: []Mapping{{Key: "web-api", Image: "web-api:1"}}}
	plan, err := MakePlan(context.Background(), engine, repos, opts)
	if err != nil {
		t.Fatalf("MakePlan() = %v", err)
	}
	if got := len(plan.Jobs); got != 1 {
		t.Errorf("MakePlan() made %d jobs, want 1", got)
	}
}
