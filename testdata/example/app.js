'use strict';
// Demo CDK app for cdkpush: one stack with two ECR repositories.
const cdk = require('aws-cdk-lib');
const ecr = require('aws-cdk-lib/aws-ecr');

// Keep cdk.out free of machine-specific absolute paths (construct creation
// stack traces would otherwise embed this file's path in *.metadata.json).
const app = new cdk.App({
  context: { 'aws:cdk:disable-creation-stack-traces': true },
});

const stack = new cdk.Stack(app, 'WebApiStack', {
  stackName: 'WebApiStack',
  env: { account: '123456789012', region: 'us-east-1' },
});

const webApiRepo = new ecr.Repository(stack, 'WebApiRepo', {
  repositoryName: 'web-api',
});

// No repositoryName: CloudFormation generates it.
const workerRepo = new ecr.Repository(stack, 'WorkerRepo');

new cdk.CfnOutput(stack, 'WebApiRepoUri', { value: webApiRepo.repositoryUri });
new cdk.CfnOutput(stack, 'WorkerRepoName', { value: workerRepo.repositoryName });
new cdk.CfnOutput(stack, 'WorkerRepoUri', { value: workerRepo.repositoryUri });

app.synth();
