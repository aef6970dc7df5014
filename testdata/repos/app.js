'use strict';
// Fixture CDK app for cdkpush's push tests and its benchmark.
//
// PushStack has repositories with the properties a push must respect: a
// name with a slash, and immutable tags. BenchStack has the eight
// repositories of `make bench`.
const cdk = require('aws-cdk-lib');
const ecr = require('aws-cdk-lib/aws-ecr');

// Keep cdk.out free of machine-specific absolute paths (construct creation
// stack traces would otherwise embed this file's path in *.metadata.json).
const app = new cdk.App({
  context: { 'aws:cdk:disable-creation-stack-traces': true },
});
const env = { account: '123456789012', region: 'us-east-1' };

const pushStack = new cdk.Stack(app, 'PushStack', { stackName: 'PushStack', env });
new ecr.Repository(pushStack, 'PlainRepo', { repositoryName: 'push-plain' });
new ecr.Repository(pushStack, 'SlashRepo', { repositoryName: 'team/push-api' });
new ecr.Repository(pushStack, 'FrozenRepo', {
  repositoryName: 'push-frozen',
  imageTagMutability: ecr.TagMutability.IMMUTABLE,
});

const benchStack = new cdk.Stack(app, 'BenchStack', { stackName: 'BenchStack', env });
for (let i = 0; i < 8; i++) {
  new ecr.Repository(benchStack, `BenchRepo${i}`, { repositoryName: `bench-${i}` });
}

app.synth();
