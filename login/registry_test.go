package login

import (
	"strconv"
	"strings"
	"testing"
)

const (
	testAccount = "123456789012"
	testDigest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func TestParseRegistry(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Registry
	}{
		{
			name: "commercial",
			in:   "123456789012.dkr.ecr.us-east-1.amazonaws.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr.us-east-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "us-east-1",
			},
		},
		{
			name: "china",
			in:   "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
			want: Registry{
				Host:      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
				AccountID: testAccount,
				Region:    "cn-north-1",
			},
		},
		{
			name: "govcloud",
			in:   "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "us-gov-west-1",
			},
		},
		{
			name: "european sovereign cloud",
			in:   "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
			want: Registry{
				Host:      "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
				AccountID: testAccount,
				Region:    "eusc-de-east-1",
			},
		},
		{
			name: "iso",
			in:   "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov",
			want: Registry{
				Host:      "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov",
				AccountID: testAccount,
				Region:    "us-iso-east-1",
			},
		},
		{
			name: "iso-b",
			in:   "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
			want: Registry{
				Host:      "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
				AccountID: testAccount,
				Region:    "us-isob-east-1",
			},
		},
		{
			name: "iso-e",
			in:   "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
			want: Registry{
				Host:      "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
				AccountID: testAccount,
				Region:    "eu-isoe-west-1",
			},
		},
		{
			name: "iso-f",
			in:   "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov",
			want: Registry{
				Host:      "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov",
				AccountID: testAccount,
				Region:    "us-isof-south-1",
			},
		},
		{
			name: "fips",
			in:   "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "us-east-1",
				FIPS:      true,
			},
		},
		{
			name: "fips govcloud",
			in:   "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "us-gov-east-1",
				FIPS:      true,
			},
		},
		{
			name: "dual-stack",
			in:   "123456789012.dkr-ecr.us-east-1.on.aws",
			want: Registry{
				Host:      "123456789012.dkr-ecr.us-east-1.on.aws",
				AccountID: testAccount,
				Region:    "us-east-1",
				DualStack: true,
			},
		},
		{
			name: "dual-stack fips",
			in:   "123456789012.dkr-ecr-fips.us-east-1.on.aws",
			want: Registry{
				Host:      "123456789012.dkr-ecr-fips.us-east-1.on.aws",
				AccountID: testAccount,
				Region:    "us-east-1",
				FIPS:      true,
				DualStack: true,
			},
		},
		{
			name: "public",
			in:   "public.ecr.aws",
			want: Registry{Host: "public.ecr.aws", Region: "us-east-1", Public: true},
		},
		{
			name: "public with scheme and slash",
			in:   "https://public.ecr.aws/",
			want: Registry{Host: "public.ecr.aws", Region: "us-east-1", Public: true},
		},
		{
			name: "upper case normalized",
			in:   "123456789012.DKR.ECR-FIPS.US-WEST-2.AmazonAWS.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr-fips.us-west-2.amazonaws.com",
				AccountID: testAccount,
				Region:    "us-west-2",
				FIPS:      true,
			},
		},
		{
			name: "https scheme",
			in:   "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "eu-west-1",
			},
		},
		{
			name: "http scheme and trailing slash",
			in:   "http://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
			want: Registry{
				Host:      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "eu-west-1",
			},
		},
		{
			name: "upper-case scheme",
			in:   "HTTPS://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
			want: Registry{
				Host:      "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
				AccountID: testAccount,
				Region:    "eu-west-1",
			},
		},
		{
			name: "trailing slash",
			in:   "123456789012.dkr-ecr.ap-southeast-7.on.aws/",
			want: Registry{
				Host:      "123456789012.dkr-ecr.ap-southeast-7.on.aws",
				AccountID: testAccount,
				Region:    "ap-southeast-7",
				DualStack: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRegistry(tt.in)
			if err != nil {
				t.Fatalf("ParseRegistry(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRegistry(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			// The normalized host parses to the same registry.
			again, err := ParseRegistry(got.Host)
			if err != nil || again != got {
				t.Errorf("ParseRegistry(%q) = %+v, %v; want %+v", got.Host, again, err, got)
			}
		})
	}
}

func TestParseRegistryErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // a substring of the error
	}{
		{name: "empty", in: "", wantErr: "empty host"},
		{name: "scheme only", in: "https://", wantErr: "empty host"},
		{
			name:    "further domain",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com",
			wantErr: "unknown domain",
		},
		{
			name:    "prefixed account",
			in:      "evil-123456789012.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "prefixed label",
			in:      "evil.123456789012.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "11-digit account",
			in:      "12345678901.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "13-digit account",
			in:      "1234567890123.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "non-digit account",
			in:      "12345678901a.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "no account",
			in:      "dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "truncated suffix",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.co",
			wantErr: "unknown domain",
		},
		{
			name:    "missing suffix",
			in:      "123456789012.dkr.ecr.us-east-1",
			wantErr: "unknown domain",
		},
		{
			name:    "trailing dot",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.com.",
			wantErr: "unknown domain",
		},
		{
			name:    "empty region",
			in:      "123456789012.dkr.ecr..amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "no region",
			in:      "123456789012.dkr.ecr.amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "region without number",
			in:      "123456789012.dkr.ecr.us-east.amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "region with empty part",
			in:      "123456789012.dkr.ecr.us--east-1.amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "region with underscore",
			in:      "123456789012.dkr.ecr.us_east-1.amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "region ending in hyphen",
			in:      "123456789012.dkr.ecr.us-east-1-.amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "fips spelled as a label",
			in:      "123456789012.dkr.ecr.fips.us-east-1.amazonaws.com",
			wantErr: "invalid region",
		},
		{
			name:    "fips misspelled",
			in:      "123456789012.dkr.ecr-fipsx.us-east-1.amazonaws.com",
			wantErr: "expected a region",
		},
		{
			name:    "wrong service",
			in:      "123456789012.dkr.ecs.us-east-1.amazonaws.com",
			wantErr: "expected dkr.ecr or dkr-ecr",
		},
		{
			name:    "api host",
			in:      "api.ecr.us-east-1.amazonaws.com",
			wantErr: "account ID",
		},
		{
			name:    "service glued to region",
			in:      "123456789012.dkr.ecrus-east-1.amazonaws.com",
			wantErr: "expected a region",
		},
		{
			name:    "port",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
			wantErr: "port",
		},
		{
			name:    "port with scheme and slash",
			in:      "https://123456789012.dkr.ecr.us-east-1.amazonaws.com:443/",
			wantErr: "port",
		},
		{name: "public port", in: "public.ecr.aws:443", wantErr: "port"},
		{
			name:    "path",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo",
			wantErr: "not a URL",
		},
		{
			name:    "double trailing slash",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.com//",
			wantErr: "not a URL",
		},
		{
			name:    "userinfo",
			in:      "evil.com@123456789012.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "not a URL",
		},
		{
			name:    "other scheme",
			in:      "ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "port",
		},
		{
			name:    "space",
			in:      " 123456789012.dkr.ecr.us-east-1.amazonaws.com",
			wantErr: "invalid character",
		},
		{
			name:    "kelvin sign folds to k",
			in:      "123456789012.d\u212ar.ecr.us-east-1.amazonaws.com",
			wantErr: "invalid character",
		},
		{name: "public look-alike", in: "public.ecr.aws.evil.com", wantErr: "account ID"},
		{name: "public subdomain", in: "evil.public.ecr.aws", wantErr: "account ID"},
		{name: "public misspelled", in: "public.ecr.aw", wantErr: "account ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRegistry(tt.in)
			if err == nil {
				t.Fatalf("ParseRegistry(%q) = %+v, want error", tt.in, got)
			}
			if got != (Registry{}) {
				t.Errorf("ParseRegistry(%q) returned %+v with its error", tt.in, got)
			}
			msg := err.Error()
			want := "parsing ECR registry host " + strconv.Quote(tt.in) + ": "
			if !strings.HasPrefix(msg, want) {
				t.Errorf("error %q does not start with %q", msg, want)
			}
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q does not contain %q", msg, tt.wantErr)
			}
		})
	}
}

func TestParseRepositoryURI(t *testing.T) {
	private := Registry{
		Host:      "123456789012.dkr.ecr.us-east-1.amazonaws.com",
		AccountID: testAccount,
		Region:    "us-east-1",
	}
	public := Registry{Host: "public.ecr.aws", Region: "us-east-1", Public: true}
	longTag := strings.Repeat("t", 128)
	tests := []struct {
		name       string
		in         string
		want       RepositoryURI
		wantString string
	}{
		{
			name:       "plain",
			in:         "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
			want:       RepositoryURI{Registry: private, Name: "app"},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		},
		{
			name: "slashes",
			in:   "123456789012.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds/team/app",
			want: RepositoryURI{Registry: private, Name: "cdk-hnb659fds/team/app"},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/" +
				"cdk-hnb659fds/team/app",
		},
		{
			name:       "tag",
			in:         "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1.2.3-rc_1",
			want:       RepositoryURI{Registry: private, Name: "app", Tag: "v1.2.3-rc_1"},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		},
		{
			name:       "upper-case tag kept",
			in:         "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:Latest",
			want:       RepositoryURI{Registry: private, Name: "app", Tag: "Latest"},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		},
		{
			name:       "max-length tag",
			in:         "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:" + longTag,
			want:       RepositoryURI{Registry: private, Name: "app", Tag: longTag},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		},
		{
			name:       "digest",
			in:         "123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b@" + testDigest,
			want:       RepositoryURI{Registry: private, Name: "a/b", Digest: testDigest},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b",
		},
		{
			name: "tag and digest",
			in:   "123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b:v1@" + testDigest,
			want: RepositoryURI{
				Registry: private, Name: "a/b", Tag: "v1", Digest: testDigest,
			},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b",
		},
		{
			name:       "upper-case host",
			in:         "123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM/app:v1",
			want:       RepositoryURI{Registry: private, Name: "app", Tag: "v1"},
			wantString: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		},
		{
			name: "dual-stack fips",
			in:   "123456789012.dkr-ecr-fips.us-gov-west-1.on.aws/x_y.z-w",
			want: RepositoryURI{
				Registry: Registry{
					Host:      "123456789012.dkr-ecr-fips.us-gov-west-1.on.aws",
					AccountID: testAccount,
					Region:    "us-gov-west-1",
					FIPS:      true,
					DualStack: true,
				},
				Name: "x_y.z-w",
			},
			wantString: "123456789012.dkr-ecr-fips.us-gov-west-1.on.aws/x_y.z-w",
		},
		{
			name: "china",
			in:   "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/app",
			want: RepositoryURI{
				Registry: Registry{
					Host:      "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
					AccountID: testAccount,
					Region:    "cn-northwest-1",
				},
				Name: "app",
			},
			wantString: "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/app",
		},
		{
			name:       "public",
			in:         "public.ecr.aws/my-alias/app:latest",
			want:       RepositoryURI{Registry: public, Name: "my-alias/app", Tag: "latest"},
			wantString: "public.ecr.aws/my-alias/app",
		},
		{
			name:       "public nested",
			in:         "PUBLIC.ECR.AWS/my-alias/team/app",
			want:       RepositoryURI{Registry: public, Name: "my-alias/team/app"},
			wantString: "public.ecr.aws/my-alias/team/app",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRepositoryURI(tt.in)
			if err != nil {
				t.Fatalf("ParseRepositoryURI(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRepositoryURI(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.wantString {
				t.Errorf("String() = %q, want %q", s, tt.wantString)
			}
		})
	}
}

func TestParseRepositoryURIErrors(t *testing.T) {
	const host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	tests := []struct {
		name    string
		in      string
		wantErr string // a substring of the error
	}{
		{name: "empty", in: "", wantErr: "missing repository name"},
		{name: "host only", in: host, wantErr: "missing repository name"},
		{name: "host and slash", in: host + "/", wantErr: "missing repository name"},
		{name: "scheme", in: "https://" + host + "/app", wantErr: "scheme"},
		{name: "port", in: host + ":443/app", wantErr: "port"},
		{
			name:    "look-alike host",
			in:      "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com/app",
			wantErr: "unknown domain",
		},
		{name: "not ecr", in: "docker.io/library/alpine", wantErr: "account ID"},
		{name: "upper-case name", in: host + "/App", wantErr: "invalid repository name"},
		{name: "one-character name", in: host + "/a", wantErr: "invalid repository name"},
		{
			name:    "too long name",
			in:      host + "/" + strings.Repeat("a", 257),
			wantErr: "invalid repository name",
		},
		{name: "leading separator", in: host + "/-app", wantErr: "invalid repository name"},
		{name: "trailing separator", in: host + "/app-", wantErr: "invalid repository name"},
		{name: "double separator", in: host + "/a..b", wantErr: "invalid repository name"},
		{name: "empty path part", in: host + "/a//b", wantErr: "invalid repository name"},
		{name: "trailing slash", in: host + "/app/", wantErr: "invalid repository name"},
		{name: "invalid character", in: host + "/a+b", wantErr: "invalid repository name"},
		{name: "empty tag", in: host + "/app:", wantErr: "invalid tag"},
		{name: "tag starts with dot", in: host + "/app:.v1", wantErr: "invalid tag"},
		{name: "tag starts with hyphen", in: host + "/app:-v1", wantErr: "invalid tag"},
		{name: "tag with slash", in: host + "/app:v1/x", wantErr: "invalid tag"},
		{name: "tag with colon", in: host + "/app:v1:v2", wantErr: "invalid tag"},
		{
			name:    "too long tag",
			in:      host + "/app:" + strings.Repeat("t", 129),
			wantErr: "invalid tag",
		},
		{name: "empty digest", in: host + "/app@", wantErr: "invalid digest"},
		{name: "short digest", in: host + "/app@sha256:abc", wantErr: "invalid digest"},
		{
			name:    "upper-case digest",
			in:      host + "/app@" + strings.ToUpper(testDigest),
			wantErr: "invalid digest",
		},
		{
			name:    "other algorithm",
			in:      host + "/app@sha512:" + strings.Repeat("a", 128),
			wantErr: "invalid digest",
		},
		{
			name:    "two digests",
			in:      host + "/app@" + testDigest + "@" + testDigest,
			wantErr: "invalid digest",
		},
		{name: "public without alias", in: "public.ecr.aws/app", wantErr: "registry alias"},
		{
			name:    "public invalid name",
			in:      "public.ecr.aws/Alias/app",
			wantErr: "invalid repository",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRepositoryURI(tt.in)
			if err == nil {
				t.Fatalf("ParseRepositoryURI(%q) = %+v, want error", tt.in, got)
			}
			if got != (RepositoryURI{}) {
				t.Errorf("ParseRepositoryURI(%q) returned %+v with its error", tt.in, got)
			}
			msg := err.Error()
			want := "parsing ECR repository URI " + strconv.Quote(tt.in) + ": "
			if !strings.HasPrefix(msg, want) {
				t.Errorf("error %q does not start with %q", msg, want)
			}
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q does not contain %q", msg, tt.wantErr)
			}
		})
	}
}

func TestRegistryHost(t *testing.T) {
	tests := []struct {
		name    string
		account string
		region  string
		want    string
	}{
		{name: "aws", account: testAccount, region: "us-east-1",
			want: "123456789012.dkr.ecr.us-east-1.amazonaws.com"},
		{name: "aws other prefix", account: testAccount, region: "il-central-1",
			want: "123456789012.dkr.ecr.il-central-1.amazonaws.com"},
		{name: "aws-cn", account: testAccount, region: "cn-north-1",
			want: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"},
		{name: "aws-us-gov", account: testAccount, region: "us-gov-west-1",
			want: "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"},
		{name: "aws-iso", account: testAccount, region: "us-iso-east-1",
			want: "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov"},
		{name: "aws-iso-b", account: testAccount, region: "us-isob-east-1",
			want: "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov"},
		{name: "aws-iso-e", account: testAccount, region: "eu-isoe-west-1",
			want: "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk"},
		{name: "aws-iso-f", account: testAccount, region: "us-isof-south-1",
			want: "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov"},
		{name: "aws-eusc", account: testAccount, region: "eusc-de-east-1",
			want: "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RegistryHost(tt.account, tt.region)
			if err != nil {
				t.Fatalf("RegistryHost(%q, %q) error: %v", tt.account, tt.region, err)
			}
			if got != tt.want {
				t.Errorf("RegistryHost(%q, %q) = %q, want %q", tt.account, tt.region, got, tt.want)
			}
			// What is built is accepted, with the same account and region.
			r, err := ParseRegistry(got)
			if err != nil {
				t.Fatalf("ParseRegistry(%q) error: %v", got, err)
			}
			if r.Host != got || r.AccountID != tt.account || r.Region != tt.region ||
				r.FIPS || r.DualStack || r.Public {
				t.Errorf("ParseRegistry(%q) = %+v", got, r)
			}
		})
	}
}

func TestRegistryHostErrors(t *testing.T) {
	tests := []struct {
		name    string
		account string
		region  string
		wantErr string
	}{
		{name: "empty account", account: "", region: "us-east-1", wantErr: `account ID ""`},
		{name: "short account", account: "12345678901", region: "us-east-1",
			wantErr: `account ID "12345678901"`},
		{name: "non-digit account", account: "12345678901x", region: "us-east-1",
			wantErr: `account ID "12345678901x"`},
		{name: "empty region", account: testAccount, region: "", wantErr: `invalid region ""`},
		{name: "upper-case region", account: testAccount, region: "US-EAST-1",
			wantErr: `invalid region "US-EAST-1"`},
		{name: "dotted region", account: testAccount, region: "us-east-1.evil.com",
			wantErr: `invalid region "us-east-1.evil.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RegistryHost(tt.account, tt.region)
			if err == nil {
				t.Fatalf("RegistryHost(%q, %q) = %q, want error", tt.account, tt.region, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidRepositoryName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "simple", in: "app", want: true},
		{name: "two characters", in: "ab", want: true},
		{name: "max length", in: strings.Repeat("a", 256), want: true},
		{name: "separators", in: "a.b_c-d", want: true},
		{name: "slashes", in: "team/sub/app", want: true},
		{name: "digits", in: "0/1", want: true},
		{name: "empty", in: "", want: false},
		{name: "one character", in: "a", want: false},
		{name: "too long", in: strings.Repeat("a", 257), want: false},
		{name: "upper case", in: "App", want: false},
		{name: "leading slash", in: "/app", want: false},
		{name: "trailing slash", in: "app/", want: false},
		{name: "double slash", in: "a//b", want: false},
		{name: "leading separator", in: ".app", want: false},
		{name: "separator before slash", in: "a-/b", want: false},
		{name: "double separator", in: "a__b", want: false},
		{name: "colon", in: "a:b", want: false},
		{name: "at", in: "a@b", want: false},
		{name: "space", in: "a b", want: false},
		{name: "newline", in: "ab\n", want: false},
		{name: "non-ascii", in: "caf\u00e9", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidRepositoryName(tt.in); got != tt.want {
				t.Errorf("ValidRepositoryName(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseRepositoryURI(f *testing.F) {
	for _, seed := range []string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr-ecr-fips.us-gov-west-1.on.aws/a/b:v1@" + testDigest,
		"123456789012.DKR.ECR.CN-NORTH-1.AMAZONAWS.COM.CN/x-y:Latest",
		"public.ecr.aws/alias/app:latest",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com/app",
		"https://123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseRepositoryURI(s)
		if err != nil {
			if u != (RepositoryURI{}) {
				t.Fatalf("ParseRepositoryURI(%q) returned %+v with error %v", s, u, err)
			}
			return
		}
		// String drops the tag and digest; parsing it must give back the rest.
		str := u.String()
		back, err := ParseRepositoryURI(str)
		if err != nil {
			t.Fatalf("ParseRepositoryURI(%q) = %+v, but its String %q fails: %v", s, u, str, err)
		}
		want := u
		want.Tag, want.Digest = "", ""
		if back != want {
			t.Fatalf("round trip of %q through %q:\n got %+v\nwant %+v", s, str, back, want)
		}
		if str != strings.ToLower(str) {
			t.Fatalf("String() = %q is not lower case", str)
		}
		// The registry host is itself normalized and parses to the same registry.
		r, err := ParseRegistry(u.Registry.Host)
		if err != nil || r != u.Registry {
			t.Fatalf("ParseRegistry(%q) = %+v, %v; want %+v", u.Registry.Host, r, err, u.Registry)
		}
	})
}
