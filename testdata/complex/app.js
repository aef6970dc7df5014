'use strict';
// Fixture CDK app for cdkpush exercising every repository resolution case:
// literal names (with a slash), generated names, exports, env-agnostic stacks,
// nested stages, and docker image assets with build options.
const path = require('path');
const cdk = require('aws-cdk-lib');
const ecr = require('aws-cdk-lib/aws-ecr');
const ecrAssets = require('aws-cdk-lib/aws-ecr-assets');

// Keep cdk.out free of machine-specific absolute paths (construct creation
// stack traces would otherwise embed this file's path in *.metadata.json).
const app = new cdk.App({
  context: { 'aws:cdk:disable-creation-stack-traces': true },
});

// Explicit-env stack with a slashed literal name, a generated name, and exports.
const shared = new cdk.Stack(app, 'Shared', {
  stackName: 'Shared',
  env: { account: '111111111111', region: 'eu-west-1' },
});
const baseRepo = new ecr.Repository(shared, 'BaseRepo', { repositoryName: 'team/base' });
const genRepo = new ecr.Repository(shared, 'GeneratedRepo');
new cdk.CfnOutput(shared, 'BaseRepoUri', {
  value: baseRepo.repositoryUri,
  exportName: 'Shared-BaseRepoUri',
});
new cdk.CfnOutput(shared, 'GeneratedRepoUri', {
  value: genRepo.repositoryUri,
  exportName: 'Shared-GeneratedRepoUri',
});
new cdk.CfnOutput(shared, 'GeneratedRepoName', { value: genRepo.repositoryName });

// Environment-agnostic stack.
const agnostic = new cdk.Stack(app, 'Agnostic', { stackName: 'Agnostic' });
new ecr.Repository(agnostic, 'AgnosticRepo', { repositoryName: 'agnostic-repo' });

// Stage with a nested stage.
const prod = new cdk.Stage(app, 'Prod', {
  env: { account: '222222222222', region: 'us-west-2' },
});
const repoStack = new cdk.Stack(prod, 'RepoStack', { stackName: 'RepoStack' });
new ecr.Repository(repoStack, 'ApiRepo', { repositoryName: 'prod/api' });
new ecr.Repository(repoStack, 'GeneratedRepo');

const canary = new cdk.Stage(prod, 'Canary', {
  env: { account: '222222222222', region: 'ap-southeast-2' },
});
const edgeStack = new cdk.Stack(canary, 'EdgeStack', { stackName: 'EdgeStack' });
new ecr.Repository(edgeStack, 'EdgeRepo', { repositoryName: 'edge' });

// Docker image assets.
const assetStack = new cdk.Stack(app, 'AssetStack', {
  stackName: 'AssetStack',
  env: { account: '111111111111', region: 'eu-west-1' },
});
const svc = new ecrAssets.DockerImageAsset(assetStack, 'SvcImage', {
  directory: path.join(__dirname, 'assets', 'svc'),
  file: 'svc.Dockerfile',
  buildArgs: { APP_VERSION: '1.2.3' },
  target: 'runtime',
  platform: ecrAssets.Platform.LINUX_AMD64,
});
const plain = new ecrAssets.DockerImageAsset(assetStack, 'PlainImage', {
  directory: path.join(__dirname, 'assets', 'plain'),
});
new cdk.CfnOutput(assetStack, 'SvcImageUri', { value: svc.imageUri });
new cdk.CfnOutput(assetStack, 'PlainImageUri', { value: plain.imageUri });

app.synth();
