package stackinfo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// CloudFormationAPI is the part of the CloudFormation client that stackinfo
// uses. *cloudformation.Client satisfies it.
type CloudFormationAPI interface {
	ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput,
		optFns ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
}

// ErrStackNotDeployed reports that CloudFormation has no stack of that name.
var ErrStackNotDeployed = errors.New("stack is not deployed")

// physicalIDs returns the physical id of every resource of the deployed
// stack, by logical id. Summaries without a logical id (some emulators list
// resource types they do not support that way) are skipped.
func physicalIDs(ctx context.Context, api CloudFormationAPI, stack string) (map[string]string, error) {
	ids := map[string]string{}
	p := cloudformation.NewListStackResourcesPaginator(api,
		&cloudformation.ListStackResourcesInput{StackName: aws.String(stack)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var apiErr smithy.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
				strings.Contains(apiErr.ErrorMessage(), "does not exist") {
				return nil, fmt.Errorf("listing resources of stack %q: %w", stack, ErrStackNotDeployed)
			}
			return nil, fmt.Errorf("listing resources of stack %q: %w", stack, err)
		}
		for _, s := range page.StackResourceSummaries {
			logical := aws.ToString(s.LogicalResourceId)
			physical := aws.ToString(s.PhysicalResourceId)
			if logical != "" && physical != "" {
				ids[logical] = physical
			}
		}
	}
	return ids, nil
}
