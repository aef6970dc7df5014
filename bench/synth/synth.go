// Package synth writes synthetic cloud assemblies, shaped like what
// `cdk synth` writes, for benchmarks. They are generated on the fly into a
// temporary folder and never committed: test data comes from the real CDK.
package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Shape is the size of a synthetic assembly.
type Shape struct {
	// Stacks, Repositories and Assets are the totals; repositories and
	// assets are spread over the stacks, assets one per stack at most.
	Stacks, Repositories, Assets int
	// Stages put all but a tenth of the stacks into this many CDK Stages
	// (nested assemblies); 0 keeps every stack at the top.
	Stages int
}

// Plan is the size the `plan --offline` benchmark uses.
var Plan = Shape{Stacks: 500, Repositories: 2000, Assets: 200, Stages: 10}

// WriteAssembly writes an assembly of the given shape into dir, which must
// exist, and a cdk.json beside it naming it, so that dir is a project
// folder: dir/cdk.json and dir/cdk.out.
func WriteAssembly(dir string, shape Shape) error {
	out := filepath.Join(dir, "cdk.out")
	if err := writeJSON(filepath.Join(dir, "cdk.json"), map[string]any{
		"app": "node app.js", "output": "cdk.out",
	}); err != nil {
		return err
	}
	top := map[string]any{}
	stages := make([]map[string]any, shape.Stages)
	for i := range stages {
		stages[i] = map[string]any{}
		name := fmt.Sprintf("Stage%d", i)
		top["assembly-"+name] = map[string]any{
			"type": "cdk:cloud-assembly",
			"properties": map[string]any{
				"directoryName": "assembly-" + name, "displayName": name,
			},
		}
	}
	assets := 0
	for i := 0; i < shape.Stacks; i++ {
		folder, prefix, artifacts := out, "", top
		if shape.Stages > 0 && i >= shape.Stacks/10 {
			stage := i % shape.Stages
			prefix = fmt.Sprintf("Stage%d/", stage)
			folder = filepath.Join(out, fmt.Sprintf("assembly-Stage%d", stage))
			artifacts = stages[stage]
		}
		// Spread the repositories evenly, the remainder on the first stacks.
		n := shape.Repositories / shape.Stacks
		if i < shape.Repositories%shape.Stacks {
			n++
		}
		withAsset := assets < shape.Assets
		if err := writeStack(out, folder, prefix, i, n, withAsset, artifacts); err != nil {
			return err
		}
		if withAsset {
			assets++
		}
	}
	if err := writeManifest(out, top); err != nil {
		return err
	}
	for i, artifacts := range stages {
		if err := writeManifest(filepath.Join(out, fmt.Sprintf("assembly-Stage%d", i)),
			artifacts); err != nil {
			return err
		}
	}
	return nil
}

// writeStack writes stack i with n repositories (every other one with a
// generated name and an output) and, if asked, one docker image asset, into
// folder, and adds its artifacts.
func writeStack(out, folder, prefix string, i, n int, withAsset bool,
	artifacts map[string]any) error {
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	id := fmt.Sprintf("Stack%03d", i)
	path := prefix + id
	account := fmt.Sprintf("%012d", 100000000000+i%3)
	region := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}[i%3]
	resources := map[string]any{}
	outputs := map[string]any{}
	metadata := map[string]any{}
	for r := 0; r < n; r++ {
		logical := fmt.Sprintf("Repo%dABCDEF%02d", r, r)
		construct := path + fmt.Sprintf("/Repo%d/Resource", r)
		props := map[string]any{}
		if r%2 == 0 {
			props["RepositoryName"] = fmt.Sprintf("stack%03d/repo%d", i, r)
		} else {
			outputs[fmt.Sprintf("Repo%dUri", r)] = map[string]any{
				"Value": map[string]any{"Fn::GetAtt": []any{logical, "RepositoryUri"}},
			}
		}
		resources[logical] = map[string]any{
			"Type":                "AWS::ECR::Repository",
			"Properties":          props,
			"UpdateReplacePolicy": "Retain",
			"DeletionPolicy":      "Retain",
			"Metadata":            map[string]any{"aws:cdk:path": construct},
		}
		metadata["/"+construct] = []any{
			map[string]any{"type": "aws:cdk:logicalId", "data": logical},
		}
	}
	resources["CDKMetadata"] = map[string]any{
		"Type":       "AWS::CDK::Metadata",
		"Properties": map[string]any{"Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzQ"},
	}
	base := filepath.Join(folder, id)
	if err := writeJSON(base+".template.json", map[string]any{
		"Resources": resources, "Outputs": outputs,
	}); err != nil {
		return err
	}
	if err := writeJSON(base+".metadata.json", metadata); err != nil {
		return err
	}
	images := map[string]any{}
	if withAsset {
		hash := fmt.Sprintf("%064x", i)
		dir := filepath.Join(out, "asset."+hash)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"),
			0o644); err != nil {
			return err
		}
		rel, err := filepath.Rel(folder, dir)
		if err != nil {
			return err
		}
		images[hash] = map[string]any{
			"displayName": "Image",
			"source": map[string]any{"directory": rel,
				"dockerBuildArgs": map[string]any{"VERSION": "1"}},
			"destinations": map[string]any{
				account + "-" + region + "-1": map[string]any{
					"repositoryName": "cdk-hnb659fds-container-assets-${AWS::AccountId}-" +
						"${AWS::Region}",
					"imageTag":      hash,
					"region":        region,
					"assumeRoleArn": "arn:${AWS::Partition}:iam::" + account + ":role/publish",
				},
			},
		}
	}
	if err := writeJSON(base+".assets.json", map[string]any{
		"version": "55.0.0", "files": map[string]any{}, "dockerImages": images,
	}); err != nil {
		return err
	}
	artifacts[id+".assets"] = map[string]any{
		"type":       "cdk:asset-manifest",
		"properties": map[string]any{"file": id + ".assets.json"},
	}
	artifacts[id] = map[string]any{
		"type":        "aws:cloudformation:stack",
		"environment": "aws://" + account + "/" + region,
		"properties": map[string]any{
			"templateFile": id + ".template.json",
			"stackName":    fmt.Sprintf("stack-%03d", i),
			"lookupRole": map[string]any{
				"arn": "arn:${AWS::Partition}:iam::" + account + ":role/lookup",
			},
		},
		"dependencies":           []any{id + ".assets"},
		"additionalMetadataFile": id + ".metadata.json",
		"displayName":            path,
	}
	return nil
}

func writeManifest(dir string, artifacts map[string]any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "manifest.json"), map[string]any{
		"version": "55.0.0", "artifacts": artifacts,
	})
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
