package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cdkpush/cdkpush/stackinfo"
)

const (
	testAccount = "123456789012"
	testHost    = testAccount + ".dkr.ecr.us-east-1.amazonaws.com"
)

// fakeECR serves GetAuthorizationToken for the region the request was
// signed for, with testSecret as the password, and counts the requests.
func fakeECR(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "" {
			// STS GetCallerIdentity, which resolving a project may ask.
			w.Header().Set("Content-Type", "text/xml")
			_, _ = fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult>`+
				`<Arn>arn:aws:iam::%s:user/dev</Arn><UserId>AIDA</UserId>`+
				`<Account>%s</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`,
				testAccount, testAccount)
			return
		}
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetAuthorizationToken") {
			t.Errorf("ECR fake: unexpected request %s %s", r.Method, r.Header.Get("X-Amz-Target"))
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		n.Add(1)
		region := "us-east-1"
		if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
			if parts := strings.Split(cred, "/"); len(parts) > 2 {
				region = parts[2]
			}
		}
		token := base64.StdEncoding.EncodeToString([]byte("AWS:" + testSecret))
		endpoint := "https://" + testAccount + ".dkr.ecr." + region + ".amazonaws.com"
		body, _ := json.Marshal(map[string]any{"authorizationData": []any{map[string]any{
			"authorizationToken": token,
			"proxyEndpoint":      endpoint,
			"expiresAt":          4.1e9,
		}}})
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// fakeRegistry is a registry's /v2/ that accepts AWS with password.
func fakeRegistry(t *testing.T, password string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "AWS" || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// loginSandbox is sandbox with AWS calls going to a fresh ECR fake and the
// docker config in a fresh folder, which it returns.
func loginSandbox(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	sandbox(t)
	srv, n := fakeECR(t)
	dir := filepath.Join(t.TempDir(), "docker")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("DOCKER_CONFIG", dir)
	return dir, n
}

func TestLoginPrintPassword(t *testing.T) {
	dir, n := loginSandbox(t)
	code, stdout, stderr := run(t, "login", "--print-password", "--registry", testHost, "-v")
	if code != exitOK {
		t.Fatalf("Main(login --print-password) = %d; stderr:\n%s", code, stderr)
	}
	if stdout != testSecret+"\n" {
		t.Errorf("stdout = %q, want the password and a newline", stdout)
	}
	if strings.Contains(stderr, testSecret) {
		t.Errorf("stderr holds the password:\n%s", stderr)
	}
	if n.Load() != 1 {
		t.Errorf("ECR got %d requests, want 1", n.Load())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("--print-password touched the docker config folder: %v", err)
	}
}

func TestLoginStores(t *testing.T) {
	dir, _ := loginSandbox(t)
	reg := fakeRegistry(t, testSecret)
	code, stdout, stderr := run(t, "login", "--registry", testHost,
		"--registry-endpoint", reg, "-v")
	if code != exitOK {
		t.Fatalf("Main(login) = %d; stderr:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want none", stdout)
	}
	if !strings.Contains(stderr, `msg="logged in" registry=`+reg) ||
		!strings.Contains(stderr, "ecr="+testHost) {
		t.Errorf("stderr = %q, want a line naming the endpoint and the ECR host", stderr)
	}
	if strings.Contains(stderr, testSecret) {
		t.Errorf("stderr holds the password:\n%s", stderr)
	}
	auths, _ := readJSON(t, filepath.Join(dir, "config.json"))["auths"].(map[string]any)
	want := authEntry("AWS", testSecret)
	if got, _ := auths[reg].(map[string]any); got["auth"] != want["auth"] || len(auths) != 1 {
		t.Errorf("auths = %v, want one entry for %s", auths, reg)
	}
}

// TestLoginDockerConfigFlag: --docker-config wins over DOCKER_CONFIG.
func TestLoginDockerConfigFlag(t *testing.T) {
	envDir, _ := loginSandbox(t)
	reg := fakeRegistry(t, testSecret)
	dir := filepath.Join(t.TempDir(), "ci")
	code, _, stderr := run(t, "login", "--registry", testHost, "--registry-endpoint", reg,
		"--docker-config", dir)
	if code != exitOK {
		t.Fatalf("Main(login) = %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Errorf("no config.json in --docker-config: %v", err)
	}
	if _, err := os.Stat(envDir); !os.IsNotExist(err) {
		t.Errorf("DOCKER_CONFIG was touched: %v", err)
	}
}

// TestLoginRefused: credentials the registry refuses are not stored.
func TestLoginRefused(t *testing.T) {
	dir, _ := loginSandbox(t)
	reg := fakeRegistry(t, "another-password")
	writeFile(t, filepath.Join(dir, "config.json"), `{"auths": {}}`)
	code, stdout, stderr := run(t, "login", "--registry", testHost, "--registry-endpoint", reg)
	if code != exitFailure {
		t.Errorf("Main(login) = %d, want %d; stderr:\n%s", code, exitFailure, stderr)
	}
	for _, want := range []string{"logging in to " + reg + ", nothing stored",
		"GET http://" + reg + "/v2/: HTTP 401", "the registry refused the credentials"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", stderr, want)
		}
	}
	if stdout != "" || strings.Contains(stderr, testSecret) {
		t.Errorf("output shows the password or more: stdout %q, stderr %q", stdout, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "config.json")); string(data) != `{"auths": {}}` {
		t.Errorf("config.json = %s, want it unchanged", data)
	}
}

// TestLoginECRLoginHelper: a host that uses the ecr-login helper gets no
// entry and no token request.
func TestLoginECRLoginHelper(t *testing.T) {
	dir, n := loginSandbox(t)
	config := `{"credHelpers": {"` + testHost + `": "ecr-login"}}`
	writeFile(t, filepath.Join(dir, "config.json"), config)
	code, _, stderr := run(t, "login", "--registry", testHost)
	if code != exitOK {
		t.Fatalf("Main(login) = %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "nothing stored: docker gets these credentials from the "+
		"ecr-login credential helper") {
		t.Errorf("stderr = %q, want it to say nothing was stored", stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "config.json")); string(data) != config {
		t.Errorf("config.json = %s, want it unchanged", data)
	}
	if n.Load() != 0 {
		t.Errorf("ECR got %d requests, want none", n.Load())
	}
}

// TestLoginSeveralFail: with several registries, each failure is printed
// and the exit code is 1.
func TestLoginSeveralFail(t *testing.T) {
	loginSandbox(t)
	other := "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	code, _, stderr := run(t, "login", "--registry", testHost, "--registry", other,
		"--registry-endpoint", testHost+"=127.0.0.1:1", "--registry-endpoint", other+"=[::1]:1")
	if code != exitFailure {
		t.Errorf("Main(login) = %d, want %d; stderr:\n%s", code, exitFailure, stderr)
	}
	for _, want := range []string{"cdkpush: logging in to 127.0.0.1:1: ",
		"cdkpush: logging in to [::1]:1: ", "cdkpush: 2 of 2 registry logins failed\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", stderr, want)
		}
	}
}

func TestLoginUsageErrors(t *testing.T) {
	other := "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "print-password and docker-config",
			args:    []string{"--print-password", "--docker-config", "x", "--registry", testHost},
			wantErr: "--print-password stores nothing"},
		{name: "external id alone", args: []string{"--assume-role-external-id", "x"},
			wantErr: "--assume-role-external-id needs --assume-role-arn"},
		{name: "not an ECR host", args: []string{"--registry", "ecr.example.com"},
			wantErr: `--registry: parsing ECR registry host "ecr.example.com"`},
		{name: "look-alike", args: []string{"--registry", testHost + ".evil.example"},
			wantErr: "unknown domain"},
		{name: "print-password for two",
			args: []string{"--print-password", "--registry", testHost, "--registry", other},
			wantErr: "--print-password prints one password, and there are 2 registries (" +
				testHost + ", " + other + "): name one with --registry"},
		{name: "two registries, one endpoint",
			args: []string{"--registry", testHost, "--registry", other,
				"--registry-endpoint", "127.0.0.1:5000"},
			wantErr: "both go to 127.0.0.1:5000"},
		{name: "max-attempts", args: []string{"--max-attempts", "-1", "--registry", testHost},
			wantErr: "max-attempts -1"},
		{name: "argument", args: []string{testHost}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n := loginSandbox(t)
			code, stdout, stderr := run(t, append([]string{"login"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("Main(login %q) = %d, want %d; stderr:\n%s", tt.args, code, exitUsage,
					stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantErr)
			}
			if stdout != "" || n.Load() != 0 {
				t.Errorf("stdout = %q after %d ECR requests, want none", stdout, n.Load())
			}
		})
	}
}

// TestProjectRegistries: the registries of a project are the distinct
// hosts of its repositories, from the URI, else the account and region.
func TestProjectRegistries(t *testing.T) {
	repos := []stackinfo.Repository{
		{Path: "A/Repo", URI: testHost + "/a", Account: testAccount, Region: "us-east-1"},
		{Path: "A/Other", URI: testHost + "/b", Account: testAccount, Region: "us-east-1"},
		// Name not known yet: the registry is.
		{Path: "B/Generated", Account: "210987654321", Region: "eu-west-1"},
		{Path: "C/China", URI: testAccount + ".dkr.ecr.cn-north-1.amazonaws.com.cn/c",
			Account: testAccount, Region: "cn-north-1"},
		// Nothing known: skipped with a warning.
		{Path: "D/Unknown"},
	}
	var logs strings.Builder
	got := hostList(projectRegistries(repos, newLogger(&logs, false, false)))
	want := "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn, " + testHost + ", " +
		"210987654321.dkr.ecr.eu-west-1.amazonaws.com"
	if got != want {
		t.Errorf("projectRegistries() = %s, want %s", got, want)
	}
	if !strings.Contains(logs.String(), "repository=D/Unknown") {
		t.Errorf("log = %q, want a warning about D/Unknown", logs.String())
	}
}

// TestLoginProjectOffline: without --registry, the registries are those of
// the project's stacks; --stack selects them.
func TestLoginProjectOffline(t *testing.T) {
	_, n := loginSandbox(t)
	project := exampleProject(t)
	code, stdout, stderr := run(t, "login", "--dir", project, "--offline", "--print-password")
	if code != exitOK || stdout != testSecret+"\n" {
		t.Fatalf("Main(login) = %d, stdout %q; stderr:\n%s", code, stdout, stderr)
	}
	if n.Load() != 1 {
		t.Errorf("ECR got %d requests, want 1", n.Load())
	}
	code, _, stderr = run(t, "login", "--dir", project, "--offline", "--stack", "NoSuchStack",
		"--print-password")
	if code == exitOK {
		t.Errorf("Main(login --stack NoSuchStack) = 0, want an error; stderr:\n%s", stderr)
	}
}
