package push

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"

	"github.com/cdkpush/cdkpush/stackinfo"
)

// fakeECR answers DescribeRepositories from a list of repositories, by
// region, and records the calls.
type fakeECR struct {
	region string
	repos  map[string]ecrtypes.Repository // "account/region/name" → repository
	err    error

	mu    *sync.Mutex
	calls *[]string
}

func (f fakeECR) DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput,
	_ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	f.mu.Lock()
	*f.calls = append(*f.calls, f.region+" "+aws.ToString(in.RegistryId)+" "+
		strings.Join(in.RepositoryNames, ","))
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := &ecr.DescribeRepositoriesOutput{}
	for _, n := range in.RepositoryNames {
		r, ok := f.repos[aws.ToString(in.RegistryId)+"/"+f.region+"/"+n]
		if !ok {
			return nil, &ecrtypes.RepositoryNotFoundException{
				Message: aws.String("The repository with name '" + n + "' does not exist in " +
					"the registry with id '" + aws.ToString(in.RegistryId) + "'"),
			}
		}
		out.Repositories = append(out.Repositories, r)
	}
	return out, nil
}

func ecrRepo(name string, m ecrtypes.ImageTagMutability,
	exclusions ...string) ecrtypes.Repository {
	r := ecrtypes.Repository{RepositoryName: aws.String(name), ImageTagMutability: m}
	for _, e := range exclusions {
		r.ImageTagMutabilityExclusionFilters = append(r.ImageTagMutabilityExclusionFilters,
			ecrtypes.ImageTagMutabilityExclusionFilter{
				Filter:     aws.String(e),
				FilterType: ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard,
			})
	}
	return r
}

func repoJob(r stackinfo.Repository, tag string) Job {
	return Job{Image: r.Name + ":" + tag, ImageID: idWeb, Repository: r, Tag: tag}
}

func TestCheckRepositories(t *testing.T) {
	euBase := repoBase
	euBase.Region = "eu-west-1"
	euBase.URI = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/base"
	assets := stackinfo.Repository{
		Stack: "AssetStack", Name: "cdk-hnb659fds-container-assets-123456789012-us-east-1",
		Account: "123456789012", Region: "us-east-1",
	}
	existing := map[string]ecrtypes.Repository{
		"123456789012/us-east-1/web-api": ecrRepo("web-api", ecrtypes.ImageTagMutabilityMutable),
		"123456789012/eu-west-1/team/base": ecrRepo("team/base",
			ecrtypes.ImageTagMutabilityImmutable),
		"123456789012/us-east-1/webapistack-workerrepo-abc": ecrRepo(
			"webapistack-workerrepo-abc", ecrtypes.ImageTagMutabilityImmutableWithExclusion,
			"latest", "dev-*"),
		"123456789012/us-east-1/team/base": ecrRepo("team/base",
			ecrtypes.ImageTagMutabilityMutableWithExclusion, "release-*"),
	}
	tests := []struct {
		name          string
		jobs          []Job
		err           error
		wantImmutable []bool
		wantCalls     []string
		wantErr       []string
	}{
		{
			name: "mutability per tag",
			jobs: []Job{
				repoJob(repoWeb, "1"), repoJob(repoWeb, "2"),
				repoJob(euBase, "1"),
				repoJob(repoWorker, "latest"), repoJob(repoWorker, "dev-7"),
				repoJob(repoWorker, "1.0"),
				repoJob(repoBase, "release-1"), repoJob(repoBase, "main"),
			},
			wantImmutable: []bool{false, false, true, false, false, true, true, false},
			// One call per repository, in the region of each.
			wantCalls: []string{
				"eu-west-1 123456789012 team/base",
				"us-east-1 123456789012 team/base",
				"us-east-1 123456789012 web-api",
				"us-east-1 123456789012 webapistack-workerrepo-abc",
			},
		},
		{
			name: "missing repository",
			jobs: []Job{repoJob(repoWeb, "1"), repoJob(repoNoAccountButNamed(), "1")},
			wantErr: []string{`"jobs"`, "account 123456789012", "region us-east-1",
				"does not exist", "cdk deploy AgnosticStack", "never creates"},
		},
		{
			name: "missing asset repository",
			jobs: []Job{repoJob(assets, "abc")},
			wantErr: []string{"cdk bootstrap aws://123456789012/us-east-1",
				"cdk-hnb659fds-container-assets-123456789012-us-east-1"},
		},
		{
			name: "ECR fails",
			jobs: []Job{repoJob(repoWeb, "1")},
			err:  errors.New("AccessDeniedException: not allowed"),
			wantErr: []string{`checking ECR repository "web-api" in account 123456789012, ` +
				`region us-east-1`, "AccessDeniedException"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []string
			client := func(_ context.Context, region string) (RepositoryAPI, error) {
				return fakeECR{region: region, repos: existing, err: tt.err, mu: &mu,
					calls: &calls}, nil
			}
			got, err := CheckRepositories(context.Background(), client, tt.jobs, 2)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("CheckRepositories() = nil error, want one")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("CheckRepositories() = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckRepositories() = %v", err)
			}
			var immutable []bool
			for _, j := range got {
				immutable = append(immutable, j.Immutable)
			}
			if diff := cmp.Diff(tt.wantImmutable, immutable); diff != "" {
				t.Errorf("Immutable per job (-want +got):\n%s", diff)
			}
			slices.Sort(calls)
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("DescribeRepositories calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRepositoriesCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	client := func(ctx context.Context, region string) (RepositoryAPI, error) {
		return nil, ctx.Err()
	}
	_, err := CheckRepositories(ctx, client, []Job{repoJob(repoWeb, "1")}, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CheckRepositories() = %v, want context.Canceled", err)
	}
}

// repoNoAccountButNamed is a repository that no fake ECR holds.
func repoNoAccountButNamed() stackinfo.Repository {
	r := repoNoAccount
	r.Account, r.Region = "123456789012", "us-east-1"
	r.URI = ecrHost + "/jobs"
	return r
}
