// Alarms: every dead-letter queue, and errors and throttles of every function (routes and workers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import {
  allFunctions,
  dlqIdOf,
  errorsOrThrottlesAlarm,
  functionId,
  manifests,
  ofType,
  queueIdFromEnv,
  template,
  webSocketFunctions,
  workerFunctions,
} from '../helpers';

describe('monitoring', () => {
  const t = template();

  it('alarms when any message is visible in each dead-letter queue', () => {
    for (const q of manifests.resources.queues) {
      const dlqId = dlqIdOf(t, queueIdFromEnv(t, q.env));
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: Match.anyValue(),
      });
    }
  });

  it('alarms on errors and throttles of every function: HTTP routes, workers and WebSocket routes', () => {
    assert.ok(workerFunctions().length > 0, 'workers are covered');
    assert.ok(webSocketFunctions().length > 0, 'WebSocket functions are covered');
    for (const name of allFunctions()) {
      // One alarm on errors + throttles (metric math), firing on the first of either.
      t.hasResourceProperties('AWS::CloudWatch::Alarm', errorsOrThrottlesAlarm(functionId(t, name)));
    }
  });

  it('has no other alarms (none for CDK’s own web deployment handler)', () => {
    const functions = allFunctions().length;
    const expected = manifests.resources.queues.length + functions;
    assert.equal(ofType(t, 'AWS::CloudWatch::Alarm').length, expected);
  });
});
