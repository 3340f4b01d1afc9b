// Worker queues from manifest/resources.json: for each, a dead-letter queue and the main queue with a
// redrive policy. `attachConsumer` wires the worker that workers.json names for a queue (see workers.ts);
// a queue no worker consumes yet simply has no event source.
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSpec } from './manifest';

/** AWS: a queue's visibility timeout must be at least 6 × the consuming function's timeout. */
export const VISIBILITY_FACTOR = 6;
/** AWS guidance for Lambda consumers: at least 5 receives before a message goes to the DLQ. */
export const MIN_RECEIVE_COUNT = 5;

/**
 * Throws when a queue's own settings break the SQS → Lambda contract (called at synth time for every
 * queue, consumed or not): visibility timeout ≥ 6 × consumer_timeout_s, and enough receives.
 */
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
  private readonly consumers = new Map<string, lambda.Function>();

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
   * Makes `fn` the consumer of queue `queueId`: an SQS event source with the queue's batch size, partial
   * batch responses (`reportBatchItemFailures`) and at most `maxConcurrency` concurrent invocations.
   * Throws when the queue does not exist, already has a consumer, or its visibility timeout is under
   * 6 × the function's timeout.
   */
  attachConsumer(queueId: string, fn: lambda.Function, maxConcurrency: number): SqsEventSource {
    const wq = this.byId.get(queueId);
    if (!wq) throw new Error(`queue "${queueId}" does not exist (queues: ${[...this.byId.keys()].join(', ')})`);
    const previous = this.consumers.get(queueId);
    if (previous) {
      throw new Error(`queue "${queueId}" already has a consumer (${previous.node.path}); one consumer per queue`);
    }
    const { spec, queue } = wq;
    const timeout = fn.timeout?.toSeconds() ?? 3;
    if (spec.visibility_timeout_s < VISIBILITY_FACTOR * timeout) {
      throw new Error(
        `queue "${spec.id}": its consumer has a ${timeout}s timeout; the visibility timeout ` +
          `(${spec.visibility_timeout_s}s) must be at least ${VISIBILITY_FACTOR} × that`,
      );
    }
    const source = new SqsEventSource(queue, {
      batchSize: spec.batch_size,
      reportBatchItemFailures: true,
      maxConcurrency,
    });
    fn.addEventSource(source);
    this.consumers.set(queueId, fn);
    return source;
  }

  /** The ids of the queues that have a consumer. */
  get consumed(): string[] {
    return [...this.consumers.keys()];
  }
}
