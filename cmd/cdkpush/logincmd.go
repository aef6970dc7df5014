package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdkpush/cdkpush/login"
	"github.com/cdkpush/cdkpush/push"
	"github.com/cdkpush/cdkpush/stackinfo"
)

// verifyTimeout bounds the check of new credentials against a registry.
const verifyTimeout = 30 * time.Second

// loginOptions are the flags of `cdkpush login` only.
type loginOptions struct {
	// Registries are the --registry hosts; empty means the project's.
	Registries []string
	// PrintPassword prints the one registry's password instead of storing
	// anything.
	PrintPassword bool
	// DockerConfig is the --docker-config folder; empty means DOCKER_CONFIG,
	// else ~/.docker.
	DockerConfig string
	// RoleARN and ExternalID are the role to assume for every registry.
	RoleARN    string
	ExternalID string
}

func newLoginCmd(opts *options) *cobra.Command {
	lo := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log docker in to the project's ECR registries, or print an ECR password",
		Long: `cdkpush login gets an ECR token for every registry of the selected stacks
(or each --registry), checks it against the registry's /v2/, and stores it in
the docker CLI's config as docker login does: through the credential helper
configured for the host (credHelpers, credsStore), else in config.json, which
is written atomically with mode 0600, keeping every other entry. A host that
already uses the ecr-login credential helper gets nothing. With
--registry-endpoint, the entry is checked against and stored under the
endpoint that docker will be pointed at.

--print-password prints only the password of the one registry, and a newline,
like aws ecr get-login-password; nothing is checked or stored.`,
		Example: `  cdkpush login
  cdkpush login --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com
  cdkpush login --docker-config "$RUNNER_TEMP/docker"
  cdkpush login --print-password --registry 123456789012.dkr.ecr.us-east-1.amazonaws.com |
    crane auth login -u AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLogin(cmd, opts, lo)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&lo.Registries, "registry", nil,
		"log in to this ECR registry host instead of the project's (repeatable; "+
			"the project is then not read)")
	f.BoolVar(&lo.PrintPassword, "print-password", false,
		"print the registry's password and a newline on stdout, and store nothing")
	f.StringVar(&lo.DockerConfig, "docker-config", "",
		"docker config folder to write (default: DOCKER_CONFIG, else ~/.docker)")
	f.StringVar(&lo.RoleARN, "assume-role-arn", "",
		"IAM role to assume for the token, as a CDK asset destination's assumeRoleArn")
	f.StringVar(&lo.ExternalID, "assume-role-external-id", "",
		"external ID for --assume-role-arn")
	return cmd
}

// loginRun is what one `cdkpush login` works with.
type loginRun struct {
	log        *slog.Logger
	aws        *awsClients
	endpoints  push.Endpoints
	registries []login.Registry
}

func runLogin(cmd *cobra.Command, opts *options, lo *loginOptions) error {
	ctx := cmd.Context()
	if lo.PrintPassword && lo.DockerConfig != "" {
		return usagef("--print-password stores nothing: drop --docker-config")
	}
	if lo.ExternalID != "" && lo.RoleARN == "" {
		return usagef("--assume-role-external-id needs --assume-role-arn")
	}
	r, err := newLoginRun(cmd, opts, lo)
	if err != nil {
		return err
	}
	// TODO: take each registry's role from the asset manifests' destinations
	// (assumeRoleArn, assumeRoleExternalId) once stackinfo hands them out
	// with the repositories; until then one role, from the flags, applies to
	// every registry, and a CDK app whose publishing roles differ per
	// environment needs one login per role.
	role := login.Role{ARN: lo.RoleARN, ExternalID: lo.ExternalID}
	provider := r.aws.loginProvider()
	if lo.PrintPassword {
		if len(r.registries) != 1 {
			return usagef("--print-password prints one password, and there are %d "+
				"registries (%s): name one with --registry", len(r.registries),
				hostList(r.registries))
		}
		c, err := provider.CredentialsFor(ctx, login.TargetOf(r.registries[0], role))
		if err != nil {
			return err
		}
		_, err = io.WriteString(opts.streams.Out, c.Password+"\n")
		return err
	}

	dir, detect := lo.DockerConfig, false
	if dir == "" {
		if dir, err = dockerConfigDir(); err != nil {
			return err
		}
		detect = true
	}
	if err := r.checkEndpoints(); err != nil {
		return err
	}
	hc := &http.Client{Timeout: verifyTimeout}
	var failed []error
	for _, reg := range r.registries {
		ep := r.endpoints.For(reg.Host)
		err := r.loginOne(ctx, provider, hc, login.TargetOf(reg, role), reg, ep, dir, detect)
		if err != nil {
			failed = append(failed, err)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(r.registries) == 1:
		return failed[0]
	}
	for _, err := range failed {
		fmt.Fprintln(opts.streams.Err, "cdkpush:", err)
	}
	return failures{failed: len(failed), total: len(r.registries), what: "registry logins"}
}

// loginOne logs docker in to one registry, reached at ep.
func (r *loginRun) loginOne(ctx context.Context, provider *login.Provider, hc *http.Client,
	t login.Target, reg login.Registry, ep push.Endpoint, dir string, detect bool) error {
	host := ep.Host
	cfg, err := loadDockerConfig(dir)
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	if helper, where := cfg.helperFor(host); helper == ecrLoginHelper {
		r.skipped(host, where, cfg.Filename)
		return nil
	}
	c, err := provider.CredentialsFor(ctx, t)
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	if err := login.Verify(ctx, hc, ep.URL(), c); err != nil {
		if errors.Is(err, login.ErrRefused) {
			return fmt.Errorf("logging in to %s, nothing stored: %w", host, err)
		}
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	res, err := storeDockerCredentials(ctx, dir, host, c, detect)
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	if res.Skipped {
		r.skipped(host, res.Where, res.File)
		return nil
	}
	attrs := []any{"registry", host, "config", res.File}
	if host != reg.Host {
		attrs = append(attrs, "ecr", reg.Host)
	}
	if res.Helper != "" {
		attrs = append(attrs, "helper", "docker-credential-"+res.Helper)
	}
	r.log.Info("logged in", attrs...)
	return nil
}

func (r *loginRun) skipped(host, where, file string) {
	r.log.Info("nothing stored: docker gets these credentials from the ecr-login "+
		"credential helper", "registry", host, "setting", where, "config", file)
}

// checkEndpoints refuses two registries that --registry-endpoint sends to
// one host: docker keeps one entry per host.
func (r *loginRun) checkEndpoints() error {
	seen := map[string]string{}
	for _, reg := range r.registries {
		ep := r.endpoints.For(reg.Host).Host
		if other, ok := seen[ep]; ok {
			return usagef("registries %s and %s both go to %s (--registry-endpoint), and "+
				"docker keeps one entry per host: pick one with --registry", other, reg.Host, ep)
		}
		seen[ep] = reg.Host
	}
	return nil
}

// newLoginRun loads the settings and finds the registries: the --registry
// hosts, else those of the selected stacks' repositories.
func newLoginRun(cmd *cobra.Command, opts *options, lo *loginOptions) (*loginRun, error) {
	if len(lo.Registries) == 0 {
		s, err := newSession(cmd, opts)
		if err != nil {
			return nil, err
		}
		r := &loginRun{log: s.log, aws: s.aws, endpoints: s.endpoints}
		r.registries = projectRegistries(s.project.Repositories, s.log)
		if len(r.registries) == 0 {
			return nil, fmt.Errorf("finding ECR registries: the selected stacks of %s have "+
				"no repository whose registry is known; name one with --registry",
				s.project.AssemblyDir)
		}
		return r, nil
	}
	if err := opts.load(cmd.Flags()); err != nil {
		return nil, err
	}
	r := &loginRun{log: newLogger(opts.streams.Err, opts.Verbose, opts.Quiet)}
	eps, err := push.ParseEndpoints(opts.RegistryEndpoints)
	if err != nil {
		return nil, usageError{err}
	}
	r.endpoints = eps
	cdk, err := stackinfo.ReadCDKConfig(opts.Dir)
	if err != nil {
		return nil, err
	}
	r.aws = newAWSClients(opts, cdk, r.log)
	seen := map[string]bool{}
	for _, h := range lo.Registries {
		reg, err := login.ParseRegistry(h)
		if err != nil {
			return nil, usageError{fmt.Errorf("--registry: %w", err)}
		}
		if !seen[reg.Host] {
			seen[reg.Host] = true
			r.registries = append(r.registries, reg)
		}
	}
	return r, nil
}

// projectRegistries returns the distinct registries of repos, sorted by
// host: the host of each repository's URI, else the registry of its
// account and region.
func projectRegistries(repos []stackinfo.Repository, log *slog.Logger) []login.Registry {
	byHost := map[string]login.Registry{}
	for _, repo := range repos {
		host := ""
		if u, err := login.ParseRepositoryURI(repo.URI); err == nil {
			host = u.Registry.Host
		} else if h, err := login.RegistryHost(repo.Account, repo.Region); err == nil {
			host = h
		}
		reg, err := login.ParseRegistry(host)
		if err != nil {
			log.Warn("skipped: its registry is unknown", "repository", repo.Path,
				"account", repo.Account, "region", repo.Region)
			continue
		}
		byHost[reg.Host] = reg
	}
	regs := make([]login.Registry, 0, len(byHost))
	for _, reg := range byHost {
		regs = append(regs, reg)
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].Host < regs[j].Host })
	return regs
}

func hostList(regs []login.Registry) string {
	hosts := make([]string, len(regs))
	for i, r := range regs {
		hosts[i] = r.Host
	}
	return strings.Join(hosts, ", ")
}
