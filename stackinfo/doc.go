// Package stackinfo answers the question "where must each image go" from what
// a CDK project already knows: cdk.json and cdk.context.json, the
// synthesized cloud assembly (cdk.out, with its nested assemblies, metadata,
// asset manifests and templates), the `cdk deploy --outputs-file` JSON and,
// unless told to stay offline, the deployed stacks in CloudFormation.
//
// Resolve returns the selected stacks with their accounts and regions, the
// ECR repositories they define or name in their outputs, and their docker
// image assets. When sources disagree, the deployed stack wins over the
// outputs file, which wins over the assembly, and a warning names both
// values.
//
// Every file is read with a size cap, every path an assembly names must stay
// inside the assembly folder, and bad input is one error that names the file
// and where in it the problem is.
//
// The package never prints. It reports through the *slog.Logger it is given
// and returns data; the command decides how to show it.
package stackinfo
