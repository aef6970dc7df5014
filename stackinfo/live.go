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
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput,
		optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput,
		optFns ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	ListExports(ctx context.Context, in *cloudformation.ListExportsInput,
		optFns ...func(*cloudformation.Options)) (*cloudformation.ListExportsOutput, error)
}

// ErrStackNotDeployed reports that CloudFormation has no stack of that name.
var ErrStackNotDeployed = errors.New("stack is not deployed")

// maxPages bounds every paginated CloudFormation listing, in case a service
// (or an emulator) keeps answering with new page tokens.
const maxPages = 10000

// liveStack is what the deployed stack says.
type liveStack struct {
	status, reason string
	// outputs are the stack's outputs, by key.
	outputs map[string]string
}

// describeStack returns the status and outputs of the deployed stack name.
// A stack CloudFormation does not know is ErrStackNotDeployed.
func describeStack(ctx context.Context, api CloudFormationAPI, name string) (liveStack, error) {
	out, err := api.DescribeStacks(ctx,
		&cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return liveStack{}, fmt.Errorf("describing stack %q: %w", name, notDeployed(err))
	}
	for _, s := range out.Stacks {
		if aws.ToString(s.StackName) != name {
			continue
		}
		live := liveStack{
			status:  string(s.StackStatus),
			reason:  aws.ToString(s.StackStatusReason),
			outputs: map[string]string{},
		}
		for _, o := range s.Outputs {
			if key := aws.ToString(o.OutputKey); key != "" {
				live.outputs[key] = aws.ToString(o.OutputValue)
			}
		}
		return live, nil
	}
	return liveStack{}, fmt.Errorf("describing stack %q: %w", name, ErrStackNotDeployed)
}

// notDeployed turns CloudFormation's answer for a stack that does not exist
// (a ValidationError saying so) into ErrStackNotDeployed.
func notDeployed(err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
		strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return ErrStackNotDeployed
	}
	return err
}

// physicalIDs returns the physical id of every resource of the deployed
// stack, by logical id. Summaries without a logical or physical id (some
// emulators list resource types they do not support that way; a resource
// being created has no physical id yet) are skipped.
func physicalIDs(ctx context.Context, api CloudFormationAPI,
	stack string) (map[string]string, error) {
	ids := map[string]string{}
	var token *string
	seen := map[string]bool{}
	for range maxPages {
		page, err := api.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{
			StackName: aws.String(stack),
			NextToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("listing resources of stack %q: %w", stack, notDeployed(err))
		}
		for _, s := range page.StackResourceSummaries {
			logical := aws.ToString(s.LogicalResourceId)
			physical := aws.ToString(s.PhysicalResourceId)
			if logical != "" && physical != "" {
				ids[logical] = physical
			}
		}
		if token = nextToken(page.NextToken, seen); token == nil {
			break
		}
	}
	return ids, nil
}

// listExports returns every export of the client's account and region, by
// name.
func listExports(ctx context.Context, api CloudFormationAPI) (map[string]string, error) {
	exports := map[string]string{}
	var token *string
	seen := map[string]bool{}
	for range maxPages {
		page, err := api.ListExports(ctx, &cloudformation.ListExportsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing exports: %w", err)
		}
		for _, e := range page.Exports {
			if name := aws.ToString(e.Name); name != "" {
				exports[name] = aws.ToString(e.Value)
			}
		}
		if token = nextToken(page.NextToken, seen); token == nil {
			break
		}
	}
	return exports, nil
}

// nextToken returns the token for the next page, or nil when there is
// none. A token already used also ends the listing: the service would only
// repeat pages, and the loop would never end.
func nextToken(token *string, seen map[string]bool) *string {
	t := aws.ToString(token)
	if t == "" || seen[t] {
		return nil
	}
	seen[t] = true
	return aws.String(t)
}

// usableStatus reports whether a stack in this status has its resources
// and outputs: not one whose creation failed or was rolled back, that is
// being deleted, or that was only created for a change set.
func usableStatus(status string) bool {
	switch {
	case status == "CREATE_COMPLETE":
		return true
	case strings.HasPrefix(status, "CREATE_"),
		strings.HasPrefix(status, "ROLLBACK_"),
		strings.HasPrefix(status, "DELETE_"),
		status == "REVIEW_IN_PROGRESS":
		return false
	}
	return true
}

// troubledStatus reports whether a stack status is worth a warning: a
// failure, a rollback or an operation still running.
func troubledStatus(status string) bool {
	return strings.Contains(status, "FAILED") || strings.Contains(status, "ROLLBACK") ||
		strings.Contains(status, "IN_PROGRESS")
}
