package e2e

import (
	"strings"
	"testing"
)

// TestPlanTextDeployed prints the readable plan of the example app deployed
// into moto, with a local image matched by name: the stack's live status,
// both repositories with their sources, and the push it would make.
func TestPlanTextDeployed(t *testing.T) {
	dir := copyProject(t, "example")
	worker := deployExample(t, dir, "pl01")
	buildImage(t, "web-api:3.0.0", "web api 3.0.0")

	res := cdkpushEnv(t, dir, nil, "plan", "--registry-endpoint", env.rig.Registry.Addr)

	if res.code != 0 {
		t.Fatalf("cdkpush plan exit code = %d, want 0", res.code)
	}
	var rows []string
	for _, line := range strings.Split(res.stdout, "\n") {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	for _, want := range []string{
		"Sources: cdk.json, assembly, sts, cloudformation",
		"WebApiStack WebApiStack 123456789012 us-east-1 CREATE_COMPLETE",
		exampleHost + "/web-api web-api cloudformation WebApiStack/WebApiRepo",
		exampleHost + "/" + worker + " " + worker + " cloudformation WebApiStack/WorkerRepo",
		exampleHost + "/web-api 3.0.0 web-api:3.0.0 WebApiStack/WebApiRepo",
	} {
		if !hasRow(rows, want) {
			t.Errorf("plan stdout lacks the row %q:\n%s", want, res.stdout)
		}
	}
}

func hasRow(rows []string, want string) bool {
	for _, r := range rows {
		if r == want {
			return true
		}
	}
	return false
}
