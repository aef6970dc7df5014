package login

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

const (
	// publicHost is the one host of ECR Public.
	publicHost = "public.ecr.aws"
	// publicRegion is where the ECR Public API lives, whatever the caller's
	// own region is.
	publicRegion = "us-east-1"

	// accountIDLen is the number of decimal digits in an AWS account ID.
	accountIDLen = 12
	// maxRegionLen bounds a region, which must fit in one DNS label.
	maxRegionLen = 63
	// minNameLen and maxNameLen bound an ECR repository name.
	minNameLen = 2
	maxNameLen = 256
	// maxTagLen bounds an image tag.
	maxTagLen = 128
)

// dnsSuffixes are the domains that private ECR registry hosts live under, one
// per AWS partition family. Both the IPv4-only ("dkr.ecr") and the dual-stack
// ("dkr-ecr") spellings are accepted under each of them.
//
// The upstream credential helper also knows on.amazonwebservices.com.cn, the
// dual-stack domain of the China regions; it is left out here on purpose until
// it is needed, so such a host is refused rather than guessed at.
var dnsSuffixes = []string{
	"amazonaws.com",    // aws and aws-us-gov
	"amazonaws.com.cn", // aws-cn
	"amazonaws.eu",     // aws-eusc (European Sovereign Cloud)
	"on.aws",           // dual-stack hosts of the aws partition
	"sc2s.sgov.gov",    // aws-iso-b
	"c2s.ic.gov",       // aws-iso
	"cloud.adc-e.uk",   // aws-iso-e
	"csp.hci.ic.gov",   // aws-iso-f
}

// repositoryNameRE is the shape of an ECR repository name: lower-case
// alphanumeric runs joined by single '.', '_' or '-', in '/'-separated parts.
var repositoryNameRE = regexp.MustCompile(
	`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// Registry identifies one ECR registry.
type Registry struct {
	Host      string // normalized host, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com
	AccountID string // empty for ECR Public
	Region    string // us-east-1 for ECR Public
	FIPS      bool   // host uses a FIPS endpoint (dkr.ecr-fips, dkr-ecr-fips)
	DualStack bool   // host is an IPv4 and IPv6 endpoint (dkr-ecr)
	Public    bool   // host is ECR Public, public.ecr.aws
}

// ParseRegistry parses and validates the host of an ECR registry: either a
// private registry,
//
//	<account>.dkr.ecr[-fips].<region>.<suffix>
//	<account>.dkr-ecr[-fips].<region>.<suffix>   (dual-stack)
//
// where account is 12 digits and suffix is one of the known AWS domains, or
// ECR Public, public.ecr.aws. Letters may be in either case and the result is
// lower case; one leading "https://" or "http://" and one trailing "/" are
// dropped. Anything else, such as a port, a path, a further domain after the
// suffix or characters outside ASCII, is refused, so that a host that only
// looks like ECR is never taken for it.
func ParseRegistry(host string) (Registry, error) {
	r, err := parseHost(stripSchemeAndSlash(host))
	if err != nil {
		return Registry{}, fmt.Errorf("parsing ECR registry host %q: %w", host, err)
	}
	return r, nil
}

// stripSchemeAndSlash removes one optional scheme, in any case, and one
// optional trailing slash.
func stripSchemeAndSlash(s string) string {
	for _, scheme := range []string{"https://", "http://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			s = s[len(scheme):]
			break
		}
	}
	return strings.TrimSuffix(s, "/")
}

// parseHost parses a bare host, with no scheme or slash, as described at
// ParseRegistry. Its errors do not repeat the input.
func parseHost(host string) (Registry, error) {
	if host == "" {
		return Registry{}, errors.New("empty host")
	}
	for i := 0; i < len(host); i++ {
		// Only printable ASCII may appear. This also keeps Unicode case folding
		// (say, KELVIN SIGN to 'k') from turning a different string into a real
		// ECR host.
		if c := host[i]; c <= ' ' || c >= 0x7f {
			return Registry{}, fmt.Errorf("invalid character %q", rune(c))
		}
	}
	host = asciiLower(host)
	if strings.Contains(host, ":") {
		return Registry{}, errors.New("a port is not allowed")
	}
	if strings.ContainsAny(host, "/?#@") {
		return Registry{}, errors.New("only a host is allowed, not a URL")
	}
	if host == publicHost {
		return Registry{Host: publicHost, Region: publicRegion, Public: true}, nil
	}

	account, rest, _ := strings.Cut(host, ".")
	if !isAccountID(account) {
		return Registry{}, fmt.Errorf("account ID %q is not %d digits", account, accountIDLen)
	}

	var r Registry
	r.AccountID = account
	switch {
	case strings.HasPrefix(rest, "dkr.ecr"):
	case strings.HasPrefix(rest, "dkr-ecr"):
		r.DualStack = true
	default:
		return Registry{}, errors.New("expected dkr.ecr or dkr-ecr after the account ID")
	}
	service := rest[:len("dkr.ecr")]
	rest = rest[len("dkr.ecr"):]
	if after, ok := strings.CutPrefix(rest, "-fips"); ok {
		r.FIPS = true
		service += "-fips"
		rest = after
	}
	rest, ok := strings.CutPrefix(rest, ".")
	if !ok {
		return Registry{}, fmt.Errorf("expected a region after %q", service)
	}

	region, suffix, _ := strings.Cut(rest, ".")
	if !validRegion(region) {
		return Registry{}, fmt.Errorf("invalid region %q", region)
	}
	if !knownSuffix(suffix) {
		return Registry{}, fmt.Errorf("unknown domain %q after the region", suffix)
	}
	r.Region = region
	r.Host = account + "." + service + "." + region + "." + suffix
	return r, nil
}

// asciiLower lower-cases the ASCII letters of s and leaves every other byte.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// isAccountID reports whether s is exactly 12 ASCII digits.
func isAccountID(s string) bool {
	if len(s) != accountIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validRegion reports whether s has the shape of an AWS region name: at least
// three '-'-separated parts, all of lower-case letters except the last, which
// is digits, as in us-east-1, us-gov-west-1 or eusc-de-east-1. It does not
// check that the region exists, so new regions need no change here.
func validRegion(s string) bool {
	if s == "" || len(s) > maxRegionLen {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := 0; j < len(p); j++ {
			c := p[j]
			if last && (c < '0' || c > '9') || !last && (c < 'a' || c > 'z') {
				return false
			}
		}
	}
	return true
}

// knownSuffix reports whether s is one of dnsSuffixes exactly.
func knownSuffix(s string) bool {
	for _, known := range dnsSuffixes {
		if s == known {
			return true
		}
	}
	return false
}

// RepositoryURI is <registry host>/<repository name>[:tag|@digest], the
// address of one repository in ECR and, optionally, of one image in it.
type RepositoryURI struct {
	// Registry is the registry that holds the repository.
	Registry Registry
	// Name is the repository name, which may contain '/'. For ECR Public it is
	// the whole path after the host, <registry alias>/<repository name>.
	Name string
	// Tag is the image tag, or empty.
	Tag string
	// Digest is the image digest, sha256:<64 hex digits>, or empty.
	Digest string
}

// ParseRepositoryURI parses and validates an ECR repository URI,
//
//	<registry host>/<repository name>[:tag][@digest]
//
// The host follows the rules of ParseRegistry, except that no scheme is
// allowed, and is lower-cased; the name must satisfy ValidRepositoryName. For
// ECR Public, public.ecr.aws/<registry alias>/<name>, the alias is kept as
// the first part of Name, and a name without an alias is refused. A tag and a
// digest may both be given, as in Docker references; the digest must be
// sha256.
func ParseRepositoryURI(s string) (RepositoryURI, error) {
	u, err := parseRepositoryURI(s)
	if err != nil {
		return RepositoryURI{}, fmt.Errorf("parsing ECR repository URI %q: %w", s, err)
	}
	return u, nil
}

// parseRepositoryURI does the work of ParseRepositoryURI. Its errors do not
// repeat the input.
func parseRepositoryURI(s string) (RepositoryURI, error) {
	if strings.Contains(s, "://") {
		return RepositoryURI{}, errors.New("a scheme is not allowed")
	}
	host, rest, ok := strings.Cut(s, "/")
	if !ok || rest == "" {
		return RepositoryURI{}, errors.New("missing repository name after the host")
	}
	reg, err := parseHost(host)
	if err != nil {
		return RepositoryURI{}, fmt.Errorf("registry host %q: %w", host, err)
	}

	u := RepositoryURI{Registry: reg}
	if before, digest, ok := strings.Cut(rest, "@"); ok {
		if !validDigest(digest) {
			return RepositoryURI{}, fmt.Errorf(
				"invalid digest %q, want sha256:<64 hex digits>", digest)
		}
		u.Digest = digest
		rest = before
	}
	// No ':' can be in the host, which has no port, or in a valid name, so
	// the first ':' left starts the tag.
	if before, tag, ok := strings.Cut(rest, ":"); ok {
		if !validTag(tag) {
			return RepositoryURI{}, fmt.Errorf("invalid tag %q", tag)
		}
		u.Tag = tag
		rest = before
	}
	if !ValidRepositoryName(rest) {
		return RepositoryURI{}, fmt.Errorf("invalid repository name %q", rest)
	}
	if reg.Public && !strings.Contains(rest, "/") {
		return RepositoryURI{}, fmt.Errorf(
			"ECR Public repository %q lacks a registry alias, want <alias>/<name>", rest)
	}
	u.Name = rest
	return u, nil
}

// validTag reports whether s is a valid image tag: up to 128 characters, of
// letters, digits, '_', '.' and '-', not starting with '.' or '-'.
func validTag(s string) bool {
	if s == "" || len(s) > maxTagLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// validDigest reports whether s is "sha256:" and 64 lower-case hex digits.
func validDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// String returns the repository's address, host/name, without any tag or
// digest.
func (u RepositoryURI) String() string {
	return u.Registry.Host + "/" + u.Name
}

// RegistryHost returns the IPv4-only, non-FIPS host of the private registry of
// accountID in region, choosing the domain from the region's partition.
// accountID must be 12 digits and region a lower-case region name.
//
// Regions whose prefix is not recognized are taken to be in the standard aws
// partition, as the AWS SDKs do.
func RegistryHost(accountID, region string) (string, error) {
	if !isAccountID(accountID) {
		return "", fmt.Errorf("building ECR registry host: account ID %q is not %d digits",
			accountID, accountIDLen)
	}
	if !validRegion(region) {
		return "", fmt.Errorf("building ECR registry host: invalid region %q", region)
	}
	return accountID + ".dkr.ecr." + region + "." + partitionSuffix(region), nil
}

// partitionSuffix returns the DNS suffix of region's partition. The prefixes
// and suffixes follow the partition table shipped in aws-sdk-go-v2
// (internal/endpoints/awsrulesfn/partitions.json). The aws, aws-cn and
// aws-us-gov rows are well established for ECR. For the isolated partitions
// (aws-iso*) and aws-eusc, that ECR registry hosts use the partition's plain
// DNS suffix is inferred from the SDK table and the ECR credential helper; it
// could not be confirmed from ECR documentation.
func partitionSuffix(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "amazonaws.com"
	case strings.HasPrefix(region, "us-iso-"):
		return "c2s.ic.gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-isof-"):
		return "csp.hci.ic.gov"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "cloud.adc-e.uk"
	case strings.HasPrefix(region, "eusc-"):
		return "amazonaws.eu"
	default:
		return "amazonaws.com"
	}
}

// ValidRepositoryName reports whether name is a valid ECR repository name: 2
// to 256 characters of lower-case letters, digits and the separators '.', '_',
// '-' and '/', where each '/'-separated part starts and ends with a letter or
// digit and no two separators are adjacent.
func ValidRepositoryName(name string) bool {
	return len(name) >= minNameLen && len(name) <= maxNameLen && repositoryNameRE.MatchString(name)
}
