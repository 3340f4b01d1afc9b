// Workers from workers.json: SQS consumers (timeout and batch size from their queue, partial batch
// responses, maximum concurrency) and scheduled workers (an EventBridge rule; tested with a synthetic
// manifest, since the real one has none yet). Inconsistent manifests fail the synth.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import type { WorkerSpec } from '../../lib/manifest';
import { FUNCTION_TAG, lambdaArchitecture } from '../../lib/rust-function';
import {
  cloneManifests,
  errorsOrThrottlesAlarm,
  functionId,
  manifests,
  ofType,
  queueIdFromEnv,
  refTarget,
  resources,
  synth,
  template,
} from '../helpers';

const queueOf = (w: WorkerSpec) => manifests.resources.queues.find((q) => q.id === w.queue)!;
const queueWorkers = manifests.workers.filter((w) => w.queue !== undefined);

describe('workers', () => {
  const t = template();

  it('reads at least one queue worker from workers.json', () => {
    assert.ok(queueWorkers.some((w) => w.function === 'step-worker'));
  });

  it('gives every queue worker its queue consumer timeout and its memory, on provided.al2023, the configured architecture, handler = its name', () => {
    for (const w of queueWorkers) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: w.function }]),
        Timeout: queueOf(w).consumer_timeout_s,
        MemorySize: w.memory_mb,
        Runtime: 'provided.al2023',
        Architectures: [lambdaArchitecture().name],
        Handler: w.function,
      });
    }
  });

  it('maps every queue worker to its queue with partial batch responses, the batch size and max concurrency', () => {
    for (const w of queueWorkers) {
      const q = queueOf(w);
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId(t, w.function) },
        EventSourceArn: { 'Fn::GetAtt': [queueIdFromEnv(t, q.env), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: q.batch_size,
        ScalingConfig: { MaximumConcurrency: w.max_concurrency },
      });
    }
  });

  it('has one event source mapping per queue worker, and none for queues no worker consumes', () => {
    const mappings = ofType(t, 'AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, queueWorkers.length);
    const consumed = new Set(queueWorkers.map((w) => w.queue));
    for (const q of manifests.resources.queues.filter((queue) => !consumed.has(queue.id))) {
      const queueId = queueIdFromEnv(t, q.env);
      assert.ok(mappings.every(([, m]) => refTarget(m.EventSourceArn) !== queueId), `${q.id} has no consumer`);
    }
  });

  it('keeps each consumed queue’s visibility timeout at least 6 × its worker’s function timeout', () => {
    for (const [, mapping] of ofType(t, 'AWS::Lambda::EventSourceMapping')) {
      const fn = resources(t)[refTarget(mapping.FunctionName)].Properties;
      const queue = resources(t)[refTarget(mapping.EventSourceArn)].Properties;
      assert.ok(queue.VisibilityTimeout >= 6 * fn.Timeout, `${queue.VisibilityTimeout} vs ${fn.Timeout}`);
    }
  });

  it('has an EventBridge rule only for scheduled workers (the real manifest has none yet)', () => {
    const scheduled = manifests.workers.filter((w) => w.schedule !== undefined);
    assert.equal(ofType(t, 'AWS::Events::Rule').length, scheduled.length);
  });

  it('runs a scheduled worker from an EventBridge rule (synthetic manifest)', () => {
    const m = cloneManifests();
    // The real manifest has a scheduler too; replace it with one whose settings this test owns.
    m.workers = m.workers.filter((w: { function: string }) => w.function !== 'export-scheduler');
    m.workers.push({
      function: 'export-scheduler', schedule: 'rate(1 minute)', memory_mb: 256, timeout_s: 50,
      permissions: ['table:read', 'queue:exports:send'],
    });
    const t2 = synth(m);
    const fnId = functionId(t2, 'export-scheduler');
    t2.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: FUNCTION_TAG, Value: 'export-scheduler' }]),
      Timeout: 50,
      MemorySize: 256,
      Runtime: 'provided.al2023',
      Architectures: [lambdaArchitecture().name],
      Handler: 'export-scheduler',
    });
    t2.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    const [[ruleId]] = ofType(t2, 'AWS::Events::Rule');
    t2.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    // Not an SQS consumer: still one mapping per queue worker.
    assert.equal(ofType(t2, 'AWS::Lambda::EventSourceMapping').length, queueWorkers.length);
    t2.hasResourceProperties('AWS::CloudWatch::Alarm', errorsOrThrottlesAlarm(fnId));
  });

  it('refuses a worker whose queue does not exist', () => {
    const m = cloneManifests();
    m.workers[0].queue = 'nope';
    assert.throws(() => synth(m), /consumes queue "nope", which resources.json does not define/);
  });

  it('refuses two workers on one queue', () => {
    const m = cloneManifests();
    m.workers.push({ ...m.workers[0], function: 'step-worker-bis' });
    assert.throws(() => synth(m), /queue "steps" is consumed by both step-worker and step-worker-bis/);
  });

  it('refuses a worker that resources.json does not name as its queue’s consumer', () => {
    const m = cloneManifests();
    m.workers[0].function = 'other-worker';
    assert.throws(() => synth(m), /names step-worker as that queue's consumer/);
  });

  it('refuses a worker named like a route function', () => {
    const m = cloneManifests();
    m.workers.push({ function: m.routes[0].function, schedule: 'rate(5 minutes)', memory_mb: 128, timeout_s: 10, permissions: [] });
    assert.throws(() => synth(m), /is already a route function/);
  });

  it('refuses a queue whose visibility timeout is under 6 × its consumer timeout, using the queue’s values', () => {
    const m = cloneManifests();
    const steps = m.resources.queues.find((q: { id: string }) => q.id === 'steps');
    steps.consumer_timeout_s = Math.floor(steps.visibility_timeout_s / 6) + 1;
    assert.throws(() => synth(m), /queue "steps": visibility_timeout_s .* must be at least 6 × consumer_timeout_s/);
  });
});
