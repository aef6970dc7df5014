'use strict';
// Fixture CDK app for cdkpush exercising every repository resolution case:
// literal names (with a slash), generated names, exports, env-agnostic stacks,
// nested stages, cross-stack imports, the China partition, and docker image
// assets (build options, placeholders, an executable, one inside a Stage).
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
// Its asset destinations keep ${AWS::AccountId} and ${AWS::Region} placeholders.
new ecrAssets.DockerImageAsset(agnostic, 'AgnosticImage', {
  directory: path.join(__dirname, 'assets', 'agnostic'),
});

// Stage with a nested stage.
const prod = new cdk.Stage(app, 'Prod', {
  env: { account: '222222222222', region: 'us-west-2' },
});
const repoStack = new cdk.Stack(prod, 'RepoStack', { stackName: 'RepoStack' });
new ecr.Repository(repoStack, 'ApiRepo', { repositoryName: 'prod/api' });
new ecr.Repository(repoStack, 'GeneratedRepo');
// An asset of a stack in a Stage: its directory is in the top assembly folder,
// outside the nested one.
new ecrAssets.DockerImageAsset(repoStack, 'StageImage', {
  directory: path.join(__dirname, 'assets', 'stage'),
});

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

// A stack that only refers to repositories: one exported by Shared, through
// Fn::ImportValue, and one defined outside this app.
const consumer = new cdk.Stack(app, 'Consumer', {
  stackName: 'Consumer',
  env: { account: '111111111111', region: 'eu-west-1' },
});
consumer.addDependency(shared);
new cdk.CfnOutput(consumer, 'ImportedBaseRepoUri', {
  value: cdk.Fn.importValue('Shared-BaseRepoUri'),
});
// Shared's generated repository: only CloudFormation knows its name.
new cdk.CfnOutput(consumer, 'ImportedGeneratedRepoUri', {
  value: cdk.Fn.importValue('Shared-GeneratedRepoUri'),
});
const tools = ecr.Repository.fromRepositoryName(consumer, 'ToolsRepo', 'external/tools');
new cdk.CfnOutput(consumer, 'ToolsRepoUri', { value: tools.repositoryUri });

// A stack in the China partition, whose image assets are published with an
// external id, one of them built by an executable rather than a Dockerfile.
const china = new cdk.Stack(app, 'ChinaStack', {
  stackName: 'ChinaStack',
  env: { account: '444444444444', region: 'cn-north-1' },
  synthesizer: new cdk.DefaultStackSynthesizer({
    imageAssetPublishingExternalId: 'cdkpush-fixture',
  }),
});
new ecr.Repository(china, 'ChinaRepo', { repositoryName: 'china/app' });
new ecrAssets.DockerImageAsset(china, 'ChinaImage', {
  directory: path.join(__dirname, 'assets', 'plain'),
});
china.synthesizer.addDockerImageAsset({
  sourceHash: 'exec-image-0001',
  executable: ['node', 'build-image.js', '--tag', 'exec-image'],
  displayName: 'ExecImage',
});

app.synth();
