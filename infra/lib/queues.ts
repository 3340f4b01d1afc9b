// Worker queues from manifest/resources.json: for each, a dead-letter queue and the main queue with a
// redrive policy. Consumers are attached with `attachConsumers` for the functions that exist, so a
// worker function added later (from whatever manifest lists workers) is wired with no change here.
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSpec } from './manifest';

/** AWS: a queue's visibility timeout must be at least 6 × the consuming function's timeout. */
export const VISIBILITY_FACTOR = 6;
/** AWS guidance for Lambda consumers: at least 5 receives before a message goes to the DLQ. */
export const MIN_RECEIVE_COUNT = 5;

/** Throws when a queue's settings break the SQS → Lambda contract (called at synth time). */
export function checkQueueSpec(spec: QueueSpec): void {
  if (spec.visibility_timeout_s < VISIBILITY_FACTOR * spec.consumer_timeout_s) {
    throw new Error(
      `queue "${spec.id}": visibility_timeout_s (${spec.visibility_timeout_s}) must be at least ` +
        `${VISIBILITY_FACTOR} × consumer_timeout_s (${spec.consumer_timeout_s}) = ` +
        `${VISIBILITY_FACTOR * spec.consumer_timeout_s}`,
    );
  }
  if (spec.max_receive_count < MIN_RECEIVE_COUNT) {
    throw new Error(
      `queue "${spec.id}": max_receive_count (${spec.max_receive_count}) must be at least ${MIN_RECEIVE_COUNT}`,
    );
  }
}

export interface WorkerQueue {
  readonly spec: QueueSpec;
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
}

export interface WorkerQueuesProps {
  readonly queues: readonly QueueSpec[];
}

export class WorkerQueues extends Construct {
  /** Queues by their manifest id (e.g. `steps`). */
  readonly byId: ReadonlyMap<string, WorkerQueue>;

  constructor(scope: Construct, id: string, props: WorkerQueuesProps) {
    super(scope, id);
    const byId = new Map<string, WorkerQueue>();
    for (const spec of props.queues) {
      checkQueueSpec(spec);
      const dlq = new sqs.Queue(this, `${spec.id}-dlq`, {
        retentionPeriod: Duration.days(spec.dlq_retention_days),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      const queue = new sqs.Queue(this, spec.id, {
        visibilityTimeout: Duration.seconds(spec.visibility_timeout_s),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: dlq, maxReceiveCount: spec.max_receive_count },
      });
      byId.set(spec.id, { spec, queue, dlq });
    }
    this.byId = byId;
  }

  get all(): WorkerQueue[] {
    return [...this.byId.values()];
  }

  /**
   * Adds an SQS event source (partial batch responses on) for every queue whose `consumer` is in
   * `functions`. Queues whose consumer does not exist yet are left without a mapping.
   * Returns the ids of the queues that got a consumer.
   */
  attachConsumers(functions: ReadonlyMap<string, lambda.Function>): string[] {
    const attached: string[] = [];
    for (const { spec, queue } of this.byId.values()) {
      const fn = functions.get(spec.consumer);
      if (!fn) continue;
      const timeout = fn.timeout?.toSeconds() ?? 3;
      if (spec.visibility_timeout_s < VISIBILITY_FACTOR * timeout) {
        throw new Error(
          `queue "${spec.id}": consumer ${spec.consumer} has a ${timeout}s timeout; the visibility timeout ` +
            `(${spec.visibility_timeout_s}s) must be at least ${VISIBILITY_FACTOR} × that`,
        );
      }
      fn.addEventSource(new SqsEventSource(queue, { batchSize: spec.batch_size, reportBatchItemFailures: true }));
      attached.push(spec.id);
    }
    return attached;
  }
}
