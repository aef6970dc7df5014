package stackinfo

import (
	"context"
	"errors"
	"fmt"
)

// stackLive is what CloudFormation said about one selected stack.
type stackLive struct {
	// asked: CloudFormation was asked about the stack.
	asked bool
	// usable: the stack is deployed, in a state whose outputs and
	// resources can be used.
	usable   bool
	stack    liveStack
	physical map[string]string
	err      error
}

// lookUp asks CloudFormation about every selected stack it may be asked
// about, a few at a time, and records each stack's status. It returns one
// stackLive per selected stack.
func (r *resolver) lookUp(ctx context.Context) ([]stackLive, error) {
	live := make([]stackLive, len(r.selected))
	if !r.online() {
		for _, i := range r.selected {
			r.asm.Stacks[i].StatusReason = "not looked up: offline"
		}
		return live, nil
	}
	type job struct {
		n   int
		api CloudFormationAPI
	}
	var jobs []job
	for n, i := range r.selected {
		s := &r.asm.Stacks[i]
		switch {
		case s.Region == "":
			s.StatusReason = "not looked up: the region is unknown (pass --region)"
			r.warn("stack region unknown: pass --region", "stack", s.Name)
			continue
		case s.Account != "" && r.caller != "" && s.Account != r.caller:
			// TODO: assume the stack's lookup role (properties.lookupRole
			// of its artifact), as the CDK CLI does, to read a stack of
			// another account. Until then such a stack is not looked up,
			// rather than looked up in the wrong account.
			s.StatusReason = fmt.Sprintf("not looked up: the credentials are for account "+
				"%s, not the stack's account %s", r.caller, s.Account)
			r.warn("stack is in another account than the credentials: not looked up",
				"stack", s.Name, "account", s.Account, "caller", r.caller,
				"lookupRole", r.lookupRole(*s))
			continue
		}
		api, err := r.client(ctx, s.Region)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{n, api})
	}
	if len(jobs) > 0 {
		r.p.Sources = append(r.p.Sources, SourceCloudFormation)
	}
	limit := r.opts.Concurrency
	if limit < 1 {
		limit = defaultConcurrency
	}
	sem := make(chan struct{}, limit)
	done := make(chan struct{})
	for _, j := range jobs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			i := r.selected[j.n]
			live[j.n] = r.lookUpStack(ctx, j.api, r.asm.Stacks[i], len(r.templates[i].repos))
		}()
	}
	for range jobs {
		<-done
	}
	for _, j := range jobs {
		l := live[j.n]
		if l.err != nil {
			return nil, l.err
		}
		s := &r.asm.Stacks[r.selected[j.n]]
		s.Status, s.StatusReason = l.stack.status, l.stack.reason
		switch {
		case l.stack.status == StatusNotDeployed:
			r.warn("stack is not deployed", "stack", s.Name, "region", s.Region)
		case troubledStatus(l.stack.status):
			r.warn("stack is in a failed or unfinished state", "stack", s.Name,
				"status", l.stack.status, "reason", l.stack.reason)
		}
	}
	return live, nil
}

// lookUpStack describes one stack and, when it is usable and defines
// repositories, lists its resources.
func (r *resolver) lookUpStack(ctx context.Context, api CloudFormationAPI, s Stack,
	repos int) stackLive {
	l := stackLive{asked: true}
	st, err := describeStack(ctx, api, s.Name)
	if errors.Is(err, ErrStackNotDeployed) {
		l.stack.status = StatusNotDeployed
		return l
	}
	if err != nil {
		l.err = err
		return l
	}
	l.stack = st
	l.usable = usableStatus(st.status)
	if !l.usable || repos == 0 {
		return l
	}
	l.physical, l.err = physicalIDs(ctx, api, s.Name)
	if errors.Is(l.err, ErrStackNotDeployed) {
		// Deleted between the two calls.
		l.err, l.usable, l.stack.status = nil, false, StatusNotDeployed
	}
	return l
}

// client returns the CloudFormation client of region, made on first use.
func (r *resolver) client(ctx context.Context, region string) (CloudFormationAPI, error) {
	if api, ok := r.clients[region]; ok {
		return api, nil
	}
	api, err := r.opts.CloudFormation(ctx, region)
	if err != nil {
		return nil, err
	}
	if r.clients == nil {
		r.clients = map[string]CloudFormationAPI{}
	}
	r.clients[region] = api
	return api, nil
}

// lookupRole returns the ARN of the stack's lookup role, placeholders
// replaced where they can be.
func (r *resolver) lookupRole(s Stack) string {
	arn, ok := replacePlaceholders(s.lookupRole, s.Account, s.Region)
	if !ok {
		return s.lookupRole
	}
	return arn
}
