package stackinfo

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cdkpush/cdkpush/login"
)

// ImageAsset is one docker image asset of a stack: an image the CDK builds
// (or has an executable produce) and publishes to each of its destinations.
type ImageAsset struct {
	// Stack is the CloudFormation name of the stack whose asset manifest
	// lists the asset; StackPath is that stack's display path.
	Stack     string `json:"stack"`
	StackPath string `json:"stackPath"`
	// ID is the asset's id in the manifest, the hash of its source.
	ID string `json:"id"`
	// DisplayName is the asset's display name, or its id when it has none.
	DisplayName string `json:"displayName"`
	// Manifest is the path of the asset manifest (*.assets.json).
	Manifest string `json:"manifest"`
	// Source is how the image is made.
	Source ImageSource `json:"source"`
	// Destinations are where the image is published, ordered by id.
	Destinations []ImageDestination `json:"destinations"`
}

// ImageSource is how a docker image asset is made: built from Directory, or
// produced by Executable.
type ImageSource struct {
	// Directory is the build context: the manifest's directory, relative to
	// the asset manifest's folder, joined to it. Empty for an executable.
	Directory string `json:"directory"`
	// DockerFile is the Dockerfile's name inside Directory; empty means
	// "Dockerfile".
	DockerFile string `json:"dockerFile"`
	// BuildArgs are the --build-arg values; empty, not nil, when none.
	BuildArgs map[string]string `json:"buildArgs"`
	// BuildTarget is the stage to build.
	BuildTarget string `json:"buildTarget"`
	// Platform is the platform to build for, such as linux/amd64.
	Platform string `json:"platform"`
	// Executable is a command that prints the name of a local image;
	// empty, not nil, for a Dockerfile build.
	Executable []string `json:"executable"`
}

// ImageDestination is one place a docker image asset is published to, with
// ${AWS::AccountId}, ${AWS::Region} and ${AWS::Partition} replaced. A value
// that needs an unknown account or region is empty.
type ImageDestination struct {
	// ID is the destination's id in the manifest.
	ID string `json:"id"`
	// RepositoryName and ImageTag are where the image goes.
	RepositoryName string `json:"repositoryName"`
	ImageTag       string `json:"imageTag"`
	// Account is the stack's account; Region is the destination's region,
	// else the stack's.
	Account string `json:"account"`
	Region  string `json:"region"`
	// AssumeRoleARN and AssumeRoleExternalID are the role to publish with.
	AssumeRoleARN        string `json:"assumeRoleArn"`
	AssumeRoleExternalID string `json:"assumeRoleExternalId"`
	// URI is the repository's URI, and Image is URI:ImageTag.
	URI   string `json:"uri"`
	Image string `json:"image"`
}

type assetManifest struct {
	Version      string                      `json:"version"`
	DockerImages map[string]dockerImageAsset `json:"dockerImages"`
}

type dockerImageAsset struct {
	DisplayName string `json:"displayName"`
	Source      struct {
		Directory         string            `json:"directory"`
		DockerFile        string            `json:"dockerFile"`
		DockerBuildArgs   map[string]string `json:"dockerBuildArgs"`
		DockerBuildTarget string            `json:"dockerBuildTarget"`
		Platform          string            `json:"platform"`
		Executable        []string          `json:"executable"`
	} `json:"source"`
	Destinations map[string]dockerImageDestination `json:"destinations"`
}

type dockerImageDestination struct {
	RepositoryName       string `json:"repositoryName"`
	ImageTag             string `json:"imageTag"`
	Region               string `json:"region"`
	AssumeRoleARN        string `json:"assumeRoleArn"`
	AssumeRoleExternalID string `json:"assumeRoleExternalId"`
}

// readImageAssets reads the docker image assets of the asset manifest at
// file, whose paths paths checks. Destinations keep their placeholders; see
// resolveDestinations.
func readImageAssets(paths *pathChecker, file string) ([]ImageAsset, error) {
	var m assetManifest
	if err := readJSONFile(file, &m); err != nil {
		return nil, err
	}
	if err := checkVersion(m.Version, ""); err != nil {
		return nil, fmt.Errorf("reading %s: version: %w", file, err)
	}
	dir := filepath.Dir(file)
	var assets []ImageAsset
	for _, id := range sortedKeys(m.DockerImages) {
		where := fmt.Sprintf("%s: dockerImages.%s", file, id)
		if id == "" {
			return nil, fmt.Errorf("reading %s: dockerImages: an asset id is empty", file)
		}
		a := m.DockerImages[id]
		src := a.Source
		asset := ImageAsset{
			ID:          id,
			DisplayName: a.DisplayName,
			Manifest:    file,
			Source: ImageSource{
				DockerFile:  src.DockerFile,
				BuildArgs:   src.DockerBuildArgs,
				BuildTarget: src.DockerBuildTarget,
				Platform:    src.Platform,
				Executable:  src.Executable,
			},
		}
		if asset.DisplayName == "" {
			asset.DisplayName = id
		}
		// Empty, not null, in JSON.
		if asset.Source.BuildArgs == nil {
			asset.Source.BuildArgs = map[string]string{}
		}
		if asset.Source.Executable == nil {
			asset.Source.Executable = []string{}
		}
		switch {
		case src.Directory != "" && len(src.Executable) > 0:
			return nil, fmt.Errorf("%s.source: both directory and executable are given", where)
		case src.Directory != "":
			d, err := paths.contained(dir, src.Directory)
			if err != nil {
				return nil, fmt.Errorf("%s.source.directory: %w", where, err)
			}
			asset.Source.Directory = d
			if src.DockerFile != "" {
				if _, err := paths.contained(d, src.DockerFile); err != nil {
					return nil, fmt.Errorf("%s.source.dockerFile: %w", where, err)
				}
			}
		case len(src.Executable) > 0:
			if src.Executable[0] == "" {
				return nil, fmt.Errorf("%s.source.executable: the command is empty", where)
			}
		default:
			return nil, fmt.Errorf("%s.source: neither directory nor executable is given", where)
		}
		for _, did := range sortedKeys(a.Destinations) {
			d := a.Destinations[did]
			at := where + ".destinations." + did
			switch {
			case did == "":
				return nil, fmt.Errorf("%s.destinations: a destination id is empty", where)
			case d.RepositoryName == "":
				return nil, fmt.Errorf("%s.repositoryName: missing", at)
			case d.ImageTag == "":
				return nil, fmt.Errorf("%s.imageTag: missing", at)
			}
			asset.Destinations = append(asset.Destinations, ImageDestination{
				ID:                   did,
				RepositoryName:       d.RepositoryName,
				ImageTag:             d.ImageTag,
				Region:               d.Region,
				AssumeRoleARN:        d.AssumeRoleARN,
				AssumeRoleExternalID: d.AssumeRoleExternalID,
			})
		}
		if asset.Destinations == nil {
			asset.Destinations = []ImageDestination{}
		}
		assets = append(assets, asset)
	}
	return assets, nil
}

// resolveDestinations fills in the account, region and URIs of the asset's
// destinations for stack s, replacing the placeholders the CDK writes. A
// field whose placeholder needs an unknown value is left empty.
func resolveDestinations(a *ImageAsset, s Stack) {
	for i := range a.Destinations {
		d := &a.Destinations[i]
		region := d.Region
		if region == "" {
			region = s.Region
		}
		region, ok := replacePlaceholders(region, s.Account, s.Region)
		if !ok {
			region = ""
		}
		d.Region = region
		d.Account = s.Account
		for _, f := range []*string{&d.RepositoryName, &d.ImageTag, &d.AssumeRoleARN,
			&d.AssumeRoleExternalID} {
			v, ok := replacePlaceholders(*f, s.Account, region)
			if !ok {
				v = ""
			}
			*f = v
		}
		if d.Account == "" || d.Region == "" || !login.ValidRepositoryName(d.RepositoryName) {
			continue
		}
		host, err := login.RegistryHost(d.Account, d.Region)
		if err != nil {
			continue
		}
		d.URI = host + "/" + d.RepositoryName
		d.Image = d.URI + ":" + d.ImageTag
	}
}

// The placeholders the CDK leaves in asset destinations for the CLI (and
// cdk-assets) to fill in.
const (
	placeholderAccount   = "${AWS::AccountId}"
	placeholderRegion    = "${AWS::Region}"
	placeholderPartition = "${AWS::Partition}"
)

// replacePlaceholders replaces the account, region and partition
// placeholders wherever they stand in s. It reports false when s needs a
// value that is unknown (empty).
func replacePlaceholders(s, account, region string) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	partition := partitionOf(region)
	for _, r := range []struct{ placeholder, value string }{
		{placeholderAccount, account},
		{placeholderRegion, region},
		{placeholderPartition, partition},
	} {
		if !strings.Contains(s, r.placeholder) {
			continue
		}
		if r.value == "" {
			return "", false
		}
		s = strings.ReplaceAll(s, r.placeholder, r.value)
	}
	return s, true
}

// partitionOf returns the AWS partition of region, from the region name's
// prefix as in the SDK's partition table; empty for an unknown region.
// Regions with no known prefix are in the standard aws partition.
func partitionOf(region string) string {
	switch {
	case region == "":
		return ""
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	default:
		return "aws"
	}
}

// urlSuffix returns the DNS suffix of region's partition (the value of
// AWS::URLSuffix), taken from the ECR host rules in package login so that
// the two never disagree; empty for an invalid region.
func urlSuffix(region string) string {
	const account = "000000000000"
	host, err := login.RegistryHost(account, region)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(host, account+".dkr.ecr."+region+".")
}

// sortAssets orders assets by stack display path, then id.
func sortAssets(assets []ImageAsset) {
	sort.SliceStable(assets, func(i, j int) bool {
		if assets[i].StackPath != assets[j].StackPath {
			return assets[i].StackPath < assets[j].StackPath
		}
		return assets[i].ID < assets[j].ID
	})
}
