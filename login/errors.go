package login

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AccessDeniedError says that AWS refused an API action while getting a
// token, and who asked.
type AccessDeniedError struct {
	// Action is the refused API action, such as ecr:GetAuthorizationToken
	// or sts:AssumeRole.
	Action string
	// Region is the region the action was called in.
	Region string
	// Caller is the ARN of the identity that called it, from STS
	// GetCallerIdentity, or a note saying why it is unknown.
	Caller string
	// Role is the role that was being assumed, if Action is sts:AssumeRole.
	Role string
	// Err is the AWS error.
	Err error
}

// Error says who was refused what, where.
func (e *AccessDeniedError) Error() string {
	on := ""
	if e.Role != "" {
		on = " on " + e.Role
	}
	return fmt.Sprintf("access denied: %s may not call %s%s in %s: %v",
		e.Caller, e.Action, on, e.Region, e.Err)
}

// Unwrap returns the AWS error.
func (e *AccessDeniedError) Unwrap() error { return e.Err }

// callerTimeout bounds the STS call that names the caller in an error.
const callerTimeout = 15 * time.Second

// accessDeniedCodes are the error codes AWS services use for a refused
// action.
var accessDeniedCodes = map[string]bool{
	"AccessDeniedException": true, // ECR, ECR Public
	"AccessDenied":          true, // STS
}

// explain turns an access-denied error from the token request into an
// *AccessDeniedError that names the action, region and caller; any other
// error is returned as it is. Only here is STS asked who the caller is.
func (p *Provider) explain(ctx context.Context, t Target, err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || !accessDeniedCodes[apiErr.ErrorCode()] {
		return err
	}
	region := t.Region
	action := "ecr:GetAuthorizationToken"
	if t.Public {
		action = "ecr-public:GetAuthorizationToken"
	}
	// The innermost operation is the one refused: with a role, ECR's error
	// wraps the failure to get the role's credentials.
	if op := innermostOperation(err); op != nil {
		action = actionName(op.ServiceID, op.OperationName)
	}
	// Whoever called AssumeRole did it with the configured credentials.
	identity, role := t.Role, ""
	if action == "sts:AssumeRole" {
		identity, role = Role{}, t.Role.ARN
	}
	// Naming the caller is worth a short wait, not a hang.
	ctx, cancel := context.WithTimeout(ctx, callerTimeout)
	defer cancel()
	caller := p.callerARN(ctx, region, identity)
	return &AccessDeniedError{Action: action, Region: region, Caller: caller, Role: role,
		Err: err}
}

// callerARN asks STS who identity is, for an error message.
func (p *Provider) callerARN(ctx context.Context, region string, identity Role) string {
	api, err := p.clients().STS(ctx, region, identity)
	if err != nil {
		return fmt.Sprintf("(caller unknown: %v)", err)
	}
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Sprintf("(caller unknown: sts:GetCallerIdentity failed: %v)", err)
	}
	return aws.ToString(out.Arn)
}

// innermostOperation returns the deepest smithy operation error in err's
// chain, or nil.
func innermostOperation(err error) *smithy.OperationError {
	var last *smithy.OperationError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*smithy.OperationError); ok {
			last = op
		}
	}
	return last
}

// servicePrefixes maps SDK service IDs to IAM action prefixes.
var servicePrefixes = map[string]string{"ECR": "ecr", "ECR PUBLIC": "ecr-public", "STS": "sts"}

// actionName is the IAM action of an SDK operation: service prefix, colon,
// operation name.
func actionName(serviceID, operation string) string {
	prefix := servicePrefixes[strings.ToUpper(serviceID)]
	if prefix == "" {
		prefix = strings.ReplaceAll(strings.ToLower(serviceID), " ", "-")
	}
	return prefix + ":" + operation
}
