package rig

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// DeployCDKStack deploys the template a real `cdk synth` wrote into moto, as
// stackName in region, and returns the names of the ECR repositories whose
// names CloudFormation would have generated, by logical id.
//
// moto cannot generate those names itself: it builds them with upper-case
// letters, which ECR refuses, and the stack is left broken. So each
// AWS::ECR::Repository without a RepositoryName gets one here, shaped like
// CloudFormation's own ("<stack>-<logicalid>-<suffix>", lower case). cdkpush
// never sees these names in the assembly: it has to ask CloudFormation.
func (m *Moto) DeployCDKStack(ctx context.Context, region, stackName, templatePath,
	suffix string) (map[string]string, error) {
	data, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, fmt.Errorf("deploy CDK stack %s: %w", stackName, err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(data, &tmpl); err != nil {
		return nil, fmt.Errorf("deploy CDK stack %s: parsing %s: %w", stackName, templatePath, err)
	}
	resources, _ := tmpl["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	generated := map[string]string{}
	for _, id := range ids {
		res, _ := resources[id].(map[string]any)
		if res["Type"] != "AWS::ECR::Repository" {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			res["Properties"] = props
		}
		if _, named := props["RepositoryName"]; named {
			continue
		}
		name := strings.ToLower(stackName + "-" + id + "-" + suffix)
		props["RepositoryName"] = name
		generated[id] = name
	}
	body, err := json.Marshal(tmpl)
	if err != nil {
		return nil, fmt.Errorf("deploy CDK stack %s: %w", stackName, err)
	}
	if err := m.DeployStack(ctx, region, stackName, string(body)); err != nil {
		return nil, err
	}
	return generated, nil
}
