package login

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
)

// ECRAPI is the part of the ECR client that login uses. *ecr.Client
// satisfies it.
type ECRAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput,
		optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// Credentials are a registry user name and password, as ECR issues them.
// Formatting them with any fmt verb, logging them with slog or encoding them
// as JSON shows the registry and user, never the password.
type Credentials struct {
	// Username is always "AWS" for ECR.
	Username string
	// Password is the secret part of the token.
	Password string
	// Registry is the host of the registry the token is for, taken from
	// the token's proxy endpoint.
	Registry string
	// ExpiresAt is when ECR says the token stops working; zero if it did
	// not say.
	ExpiresAt time.Time
}

// String describes the credentials without the password.
func (c Credentials) String() string {
	return fmt.Sprintf("%s@%s (password redacted)", c.Username, c.Registry)
}

// GoString is String, so that %#v redacts too.
func (c Credentials) GoString() string { return c.String() }

// Format makes every fmt verb print String.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue makes slog print String.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON encodes String, so that JSON logs of values that hold
// Credentials, which slog's JSONHandler encodes with encoding/json, redact
// too.
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// DecodeToken splits an ECR authorization token, base64 of "AWS:PASSWORD",
// into user and password. Its errors never include the token.
func DecodeToken(token string) (user, password string, err error) {
	if token == "" {
		return "", "", errors.New("authorization token is empty")
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", "", errors.New("authorization token is not valid base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("authorization token has no user:password separator")
	}
	if user != "AWS" {
		return "", "", fmt.Errorf("authorization token is for user %q, want \"AWS\"", user)
	}
	if password == "" {
		return "", "", errors.New("authorization token has an empty password")
	}
	return user, password, nil
}

// FetchCredentials calls GetAuthorizationToken for the registry of
// accountID (the caller's own registry when accountID is empty) and decodes
// the answer. It makes one request; retries are the client's own.
func FetchCredentials(ctx context.Context, api ECRAPI, accountID string) (Credentials, error) {
	c, err := fetchPrivate(ctx, api, accountID)
	if err != nil {
		return Credentials{}, fmt.Errorf("getting an ECR authorization token for account %s: %w",
			orCaller(accountID), err)
	}
	return c, nil
}

// fetchPrivate does the work of FetchCredentials. Its errors do not say
// which account they are about.
func fetchPrivate(ctx context.Context, api ECRAPI, accountID string) (Credentials, error) {
	in := &ecr.GetAuthorizationTokenInput{}
	if accountID != "" {
		in.RegistryIds = []string{accountID}
	}
	out, err := api.GetAuthorizationToken(ctx, in)
	if err != nil {
		return Credentials{}, err
	}
	if len(out.AuthorizationData) == 0 {
		return Credentials{}, errors.New("the answer holds no authorization data")
	}
	data := out.AuthorizationData[0]
	user, password, err := DecodeToken(aws.ToString(data.AuthorizationToken))
	if err != nil {
		return Credentials{}, fmt.Errorf("decoding the answer: %w", err)
	}
	endpoint := aws.ToString(data.ProxyEndpoint)
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(endpoint,
		"https://"), "http://"), "/")
	if host == "" {
		return Credentials{}, errors.New("the answer has no proxy endpoint")
	}
	return Credentials{
		Username:  user,
		Password:  password,
		Registry:  host,
		ExpiresAt: aws.ToTime(data.ExpiresAt),
	}, nil
}

// FetchPublicCredentials calls the ECR Public GetAuthorizationToken, whose
// token works for public.ecr.aws, and decodes the answer. The client must be
// for us-east-1, the one region of the ECR Public API.
func FetchPublicCredentials(ctx context.Context, api ECRPublicAPI) (Credentials, error) {
	c, err := fetchPublic(ctx, api)
	if err != nil {
		return Credentials{}, fmt.Errorf("getting an ECR Public authorization token: %w", err)
	}
	return c, nil
}

// fetchPublic does the work of FetchPublicCredentials.
func fetchPublic(ctx context.Context, api ECRPublicAPI) (Credentials, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		return Credentials{}, err
	}
	if out.AuthorizationData == nil {
		return Credentials{}, errors.New("the answer holds no authorization data")
	}
	user, password, err := DecodeToken(aws.ToString(out.AuthorizationData.AuthorizationToken))
	if err != nil {
		return Credentials{}, fmt.Errorf("decoding the answer: %w", err)
	}
	return Credentials{
		Username:  user,
		Password:  password,
		Registry:  publicHost,
		ExpiresAt: aws.ToTime(out.AuthorizationData.ExpiresAt),
	}, nil
}

func orCaller(accountID string) string {
	if accountID == "" {
		return "of the caller"
	}
	return accountID
}
