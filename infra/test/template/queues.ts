// Worker queues, their dead-letter queues, the visibility rule and consumer wiring.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TAG } from '../../lib/rust-function';
import {
  cloneManifests,
  dlqIdOf,
  functionId,
  manifests,
  ofType,
  queueIdFromEnv,
  refTarget,
  resources,
  synth,
  template,
} from '../helpers';

describe('queues', () => {
  const t = template();
  const { queues } = manifests.resources;

  it('creates every queue with its visibility timeout, redrive policy and encryption', () => {
    for (const q of queues) {
      t.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: q.visibility_timeout_s,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: q.max_receive_count },
        SqsManagedSseEnabled: true,
      });
    }
    assert.equal(ofType(t, 'AWS::SQS::Queue').length, 2 * queues.length);
  });

  it('gives the queue behind each URL variable its own dead-letter queue with the manifest retention', () => {
    const dlqs = new Set<string>();
    for (const q of queues) {
      const queueId = queueIdFromEnv(t, q.env);
      const main = resources(t)[queueId].Properties;
      assert.equal(main.VisibilityTimeout, q.visibility_timeout_s, q.id);
      assert.equal(main.RedrivePolicy.maxReceiveCount, q.max_receive_count, q.id);
      const dlqId = dlqIdOf(t, queueId);
      const dlq = resources(t)[dlqId];
      assert.equal(dlq.Type, 'AWS::SQS::Queue');
      assert.equal(dlq.Properties.MessageRetentionPeriod, q.dlq_retention_days * 86400, q.id);
      assert.equal(dlq.Properties.SqsManagedSseEnabled, true, q.id);
      assert.equal(dlq.Properties.RedrivePolicy, undefined, q.id);
      dlqs.add(dlqId);
    }
    assert.equal(dlqs.size, queues.length);
  });

  it('keeps every visibility timeout at least 6 × the consumer timeout', () => {
    for (const q of queues) assert.ok(q.visibility_timeout_s >= 6 * q.consumer_timeout_s, q.id);
  });

  it('refuses to synthesize a queue whose visibility timeout is under 6 × the consumer timeout', () => {
    const m = cloneManifests();
    m.resources.queues[0].visibility_timeout_s = 6 * m.resources.queues[0].consumer_timeout_s - 1;
    assert.throws(() => synth(m), /visibility_timeout_s .* must be at least 6 × consumer_timeout_s/);
  });

  it('wires consumers from workers.json only, never a route function named like a queue consumer', () => {
    // Every queue of the real manifests has its worker now: drop the last queue's worker, then add a route
    // function named like that queue's consumer.
    const m = cloneManifests();
    const unconsumed = m.resources.queues[m.resources.queues.length - 1];
    m.workers = m.workers.filter((w: { queue?: string }) => w.queue !== unconsumed.id);
    m.routes.push({
      method: 'POST', path: '/__consumer-test', function: unconsumed.consumer, auth: 'none',
      memory_mb: 256, timeout_s: 30, permissions: [],
    });
    const t2 = synth(m);
    const fnId = functionId(t2, unconsumed.consumer);
    t2.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: unconsumed.consumer }]),
    });
    const mappings = ofType(t2, 'AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, m.workers.filter((w: { queue?: string }) => w.queue !== undefined).length);
    for (const [, mapping] of mappings) {
      assert.notEqual(refTarget(mapping.FunctionName), fnId);
      assert.notEqual(refTarget(mapping.EventSourceArn), queueIdFromEnv(t2, unconsumed.env));
    }
  });
});
