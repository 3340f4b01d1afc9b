// CloudFormation's quotas on one template: at most 500 resources. Every function costs about seven (function,
// role with its permissions inline, log group, one alarm, and a route, integration and permission or an event
// source mapping),
// every queue five (queue, DLQ, their two policies, the DLQ alarm), so the manifests can outgrow one stack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resources, template } from '../helpers';

/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html */
export const MAX_RESOURCES = 500;

describe('limits', () => {
  it(`keeps the template under CloudFormation's ${MAX_RESOURCES}-resource limit`, () => {
    const count = Object.keys(resources(template())).length;
    assert.ok(count <= MAX_RESOURCES, `${count} resources: split the stack (nested stacks) or trim per-function resources`);
  });
});
