package push

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// RepositoryAPI is the part of the ECR client that the repository check
// uses. *ecr.Client satisfies it.
type RepositoryAPI interface {
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput,
		optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
}

// RepositoryClientFunc returns an ECR client for a region.
type RepositoryClientFunc func(ctx context.Context, region string) (RepositoryAPI, error)

// repoKey names one repository: account, region and name.
type repoKey struct{ account, region, name string }

// CheckRepositories asks ECR about every repository the jobs push to, at
// most concurrency at once, and returns the jobs with Immutable set from
// each repository's tag mutability. A repository that does not exist is an
// error naming its account, region and name, with a hint on how to create
// it; no repository is ever created. Any other failure to ask is an error
// too, so that nothing is pushed before every target is known.
func CheckRepositories(ctx context.Context, client RepositoryClientFunc, jobs []Job,
	concurrency int) ([]Job, error) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	var keys []repoKey
	stacks := map[repoKey]string{}
	for _, j := range jobs {
		k := repoKey{j.Repository.Account, j.Repository.Region, j.Repository.Name}
		if _, ok := stacks[k]; !ok {
			keys = append(keys, k)
			stacks[k] = j.Repository.Stack
		}
	}
	found := make([]*ecrtypes.Repository, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			found[i], errs[i] = describeRepository(ctx, client, k, stacks[k])
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	byKey := map[repoKey]*ecrtypes.Repository{}
	for i, k := range keys {
		byKey[k] = found[i]
	}
	out := make([]Job, len(jobs))
	for i, j := range jobs {
		r := byKey[repoKey{j.Repository.Account, j.Repository.Region, j.Repository.Name}]
		j.Immutable = tagImmutable(r, j.Tag)
		out[i] = j
	}
	return out, nil
}

func describeRepository(ctx context.Context, client RepositoryClientFunc, k repoKey,
	stack string) (*ecrtypes.Repository, error) {
	what := fmt.Sprintf("checking ECR repository %q in account %s, region %s",
		k.name, k.account, k.region)
	api, err := client(ctx, k.region)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	in := &ecr.DescribeRepositoriesInput{RepositoryNames: []string{k.name}}
	if k.account != "" {
		in.RegistryId = aws.String(k.account)
	}
	out, err := api.DescribeRepositories(ctx, in)
	var notFound *ecrtypes.RepositoryNotFoundException
	if errors.As(err, &notFound) {
		return nil, missingRepository(k, stack)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for i := range out.Repositories {
		if aws.ToString(out.Repositories[i].RepositoryName) == k.name {
			return &out.Repositories[i], nil
		}
	}
	return nil, missingRepository(k, stack)
}

// missingRepository says which repository is missing and how it comes to
// exist: the CDK bootstrap stack makes the asset repositories, the app's
// own stacks make the others.
func missingRepository(k repoKey, stack string) error {
	hint := "deploy the stack that defines it first"
	if stack != "" {
		hint = fmt.Sprintf("deploy the stack that defines it first (cdk deploy %s)", stack)
	}
	if strings.HasPrefix(k.name, "cdk-") && strings.Contains(k.name, "-container-assets-") {
		hint = fmt.Sprintf("bootstrap the environment first (cdk bootstrap aws://%s/%s)",
			k.account, k.region)
	}
	return fmt.Errorf("checking ECR repository %q in account %s, region %s: it does not "+
		"exist; %s (cdkpush never creates repositories)", k.name, k.account, k.region, hint)
}

// tagImmutable reports whether the repository refuses to move tag once it
// exists. A repository with exclusions makes the matching tags the other
// way round.
func tagImmutable(r *ecrtypes.Repository, tag string) bool {
	if r == nil {
		return false
	}
	excluded := false
	for _, f := range r.ImageTagMutabilityExclusionFilters {
		if ok, _ := path.Match(aws.ToString(f.Filter), tag); ok {
			excluded = true
			break
		}
	}
	switch r.ImageTagMutability {
	case ecrtypes.ImageTagMutabilityImmutable:
		return true
	case ecrtypes.ImageTagMutabilityImmutableWithExclusion:
		return !excluded
	case ecrtypes.ImageTagMutabilityMutableWithExclusion:
		return excluded
	}
	return false
}
