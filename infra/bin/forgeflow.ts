#!/usr/bin/env node
// The CDK app: `npx cdk synth` / `npx cdk deploy` run this (see cdk.json).
import { App } from 'aws-cdk-lib';
import { ForgeflowStack } from '../lib/forgeflow-stack';
import { loadManifests } from '../lib/manifest';

const app = new App();
const stackName = app.node.tryGetContext('forgeflow:stackName') ?? 'Forgeflow';

new ForgeflowStack(app, stackName, {
  manifests: loadManifests(),
  description: 'Forgeflow: AI agent workflows that generate and export projects (Rust on Lambda)',
  // No `env`: the stack is environment-agnostic and deploys to the account/region of the credentials
  // `cdk deploy` runs with (AWS_PROFILE / AWS_REGION); nothing in it needs a context lookup.
});

app.synth();
