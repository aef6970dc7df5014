package rig_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/cdkpush/cdkpush/internal/rig"
)

// pushLine is one line of the Engine API push stream.
type pushLine struct {
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux *struct {
		Tag    string
		Digest string
		Size   int
	} `json:"aux"`
}

// push pushes image:tag with user/password and returns the whole stream, decoded.
func push(t *testing.T, d *rig.Docker, ref, user, password, server string) []pushLine {
	t.Helper()
	auth, err := authconfig.Encode(registry.AuthConfig{
		Username: user, Password: password, ServerAddress: server,
	})
	if err != nil {
		t.Fatalf("encode auth for %s: %v", server, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := d.Client.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	defer resp.Close()
	var lines []pushLine
	dec := json.NewDecoder(resp)
	for {
		var l pushLine
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			return lines
		} else if err != nil {
			t.Fatalf("read push stream of %s: %v", ref, err)
		}
		lines = append(lines, l)
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRig(t *testing.T) {
	r := rig.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("build and push", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n",
			"hello.txt":  "hello from the rig\n",
		})
		id, err := r.Docker.BuildImage(ctx, dir, "rigcheck-src", rig.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id, "sha256:") {
			t.Fatalf("image ID %q, want sha256:...", id)
		}
		ref := r.Registry.Addr + "/rigcheck:1"
		if _, err := r.Docker.Client.ImageTag(ctx, client.ImageTagOptions{
			Source: id, Target: ref,
		}); err != nil {
			t.Fatalf("tag %s as %s: %v", id, ref, err)
		}

		lines := push(t, r.Docker, ref, r.Registry.User, r.Registry.Password, r.Registry.Addr)
		var digest string
		for _, l := range lines {
			if l.Error != "" || l.ErrorDetail != nil {
				t.Fatalf("push %s: error line %+v", ref, l)
			}
			if l.Aux != nil && l.Aux.Digest != "" {
				digest = l.Aux.Digest
			}
		}
		if digest == "" {
			t.Fatalf("push %s: no aux Digest in %+v", ref, lines)
		}
		got, err := r.Registry.ManifestDigest(ctx, "rigcheck", "1")
		if err != nil {
			t.Fatal(err)
		}
		if got != digest {
			t.Errorf("registry digest %s, push digest %s", got, digest)
		}
		tags, err := r.Registry.Tags(ctx, "rigcheck")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tags, []string{"1"}) {
			t.Errorf("tags %v, want [1]", tags)
		}
		if _, err := r.Registry.ManifestDigest(ctx, "rigcheck", "nosuch"); err == nil ||
			!strings.Contains(err.Error(), "404") {
			t.Errorf("digest of a missing tag: err %v, want a 404 error", err)
		}

		// A wrong password is HTTP 200 with an error line in the stream.
		lines = push(t, r.Docker, ref, r.Registry.User, "wrong-password", r.Registry.Addr)
		var failed string
		for _, l := range lines {
			if l.Error != "" {
				failed = l.Error
			}
		}
		if !strings.Contains(failed, "unauthorized") {
			t.Errorf("push with a wrong password: want an unauthorized error line, got %+v",
				lines)
		}
	})

	t.Run("build options", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			// With a foreign platform, the 20.10 classic builder fails a COPY that follows
			// an ARG or LABEL step in a FROM scratch stage ("does not match the specified
			// platform"), so COPY comes first here.
			"docker/alt.Dockerfile": "FROM scratch AS base\nCOPY hello.txt /hello.txt\n" +
				"ARG GREETING=none\nLABEL greeting=$GREETING\n" +
				"FROM base AS debug\nCOPY debug.txt /debug.txt\n",
			"hello.txt": "hi\n",
			"debug.txt": "debug\n",
		})
		id, err := r.Docker.BuildImage(ctx, dir, "rigcheck-opts:1", rig.BuildOptions{
			Dockerfile: "docker/alt.Dockerfile",
			Target:     "base",
			BuildArgs:  map[string]string{"GREETING": "hello"},
			Platform:   "linux/arm64",
		})
		if err != nil {
			t.Fatal(err)
		}
		img, err := r.Docker.Client.ImageInspect(ctx, "rigcheck-opts:1")
		if err != nil {
			t.Fatalf("inspect rigcheck-opts:1: %v", err)
		}
		if img.ID != id {
			t.Errorf("tag points at %s, build returned %s", img.ID, id)
		}
		if img.Architecture != "arm64" {
			t.Errorf("architecture %q, want arm64", img.Architecture)
		}
		if img.Config == nil || img.Config.Labels["greeting"] != "hello" {
			t.Errorf("labels %+v, want greeting=hello", img.Config)
		}
		if n := len(img.RootFS.Layers); n != 1 {
			t.Errorf("%d layers, want 1: the debug stage must not be built", n)
		}
	})

	t.Run("build failure", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY nosuch /x\n"})
		_, err := r.Docker.BuildImage(ctx, dir, "rigcheck-bad", rig.BuildOptions{})
		if err == nil || !strings.Contains(err.Error(), "nosuch") {
			t.Fatalf("build of a missing file: err %v, want a build error naming it", err)
		}
	})

	t.Run("moto", func(t *testing.T) {
		const tmpl = `{
  "Resources": {
    "Repo": {
      "Type": "AWS::ECR::Repository",
      "Properties": {"RepositoryName": "rigcheck-repo"}
    }
  },
  "Outputs": {"Uri": {"Value": {"Fn::GetAtt": ["Repo", "RepositoryUri"]}}}
}`
		if err := r.Moto.DeployStack(ctx, "eu-west-1", "RigCheck", tmpl); err != nil {
			t.Fatal(err)
		}
		cfg := r.Moto.AWSConfig("eu-west-1")
		cfn := cloudformation.NewFromConfig(cfg)
		out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{
			StackName: aws.String("RigCheck"),
		})
		if err != nil {
			t.Fatalf("describe stack RigCheck: %v", err)
		}
		st := out.Stacks[0]
		if st.StackStatus != cfntypes.StackStatusCreateComplete {
			t.Errorf("stack status %s", st.StackStatus)
		}
		wantURI := rig.DefaultAccount + ".dkr.ecr.eu-west-1.amazonaws.com/rigcheck-repo"
		if len(st.Outputs) != 1 || aws.ToString(st.Outputs[0].OutputValue) != wantURI {
			t.Errorf("outputs %+v, want Uri %s", st.Outputs, wantURI)
		}

		// moto's ECR token carries the password the registry accepts.
		tok, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx,
			&ecr.GetAuthorizationTokenInput{})
		if err != nil {
			t.Fatalf("get ECR token: %v", err)
		}
		raw, err := base64.StdEncoding.DecodeString(
			aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
		if err != nil {
			t.Fatalf("decode ECR token: %v", err)
		}
		if want := r.Registry.User + ":" + r.Registry.Password; string(raw) != want {
			t.Errorf("ECR token decodes to %q, want %q", raw, want)
		}

		if err := r.Moto.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{
			StackName: aws.String("RigCheck"),
		}); err == nil {
			t.Errorf("stack RigCheck still there after Reset")
		}

		env := strings.Join(r.Moto.Env(), "\n")
		for _, want := range []string{"AWS_ENDPOINT_URL=" + r.Moto.Endpoint,
			"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"} {
			if !strings.Contains(env, want) {
				t.Errorf("Env() lacks %s:\n%s", want, env)
			}
		}
	})
}

func TestMissingComponent(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := rig.Start(context.Background(), rig.Options{})
	if !errors.Is(err, rig.ErrMissingComponent) {
		t.Fatalf("start with an empty PATH: err %v, want ErrMissingComponent", err)
	}
	for _, want := range []string{"docker.io", "docker-registry", "apache2-utils",
		"make test", "moto 5.2", "PyPI"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
