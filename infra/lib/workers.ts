// The non-HTTP Lambdas from manifest/workers.json. A queue worker consumes its queue (resources.json):
// its timeout is the queue's `consumer_timeout_s`, its SQS event source takes the queue's `batch_size`,
// partial batch responses and the worker's `max_concurrency`. A scheduled worker (`schedule`, an
// EventBridge rate/cron expression) is the target of an EventBridge rule. Adding either kind is one
// manifest entry; this file stays the same.
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { WorkerSpec } from './manifest';
import type { WorkerQueues } from './queues';
import { RustFunction, type LambdaArtifact } from './rust-function';

export interface WorkersProps {
  readonly workers: readonly WorkerSpec[];
  readonly queues: WorkerQueues;
  /** Environment shared by every function (resource names, log level). */
  readonly environment: Record<string, string>;
  /** Every function's checked code (`lambdaArtifacts`). */
  readonly artifacts: ReadonlyMap<string, LambdaArtifact>;
}

export class Workers extends Construct {
  /** The worker functions by binary name. */
  readonly functions: ReadonlyMap<string, RustFunction>;
  /** The EventBridge rules of the scheduled workers, by binary name. */
  readonly schedules: ReadonlyMap<string, events.Rule>;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const functions = new Map<string, RustFunction>();
    const schedules = new Map<string, events.Rule>();

    for (const spec of props.workers) {
      if (functions.has(spec.function)) throw new Error(`worker ${spec.function} is listed twice`);
      if (spec.queue !== undefined) {
        const queue = props.queues.byId.get(spec.queue);
        if (!queue) {
          throw new Error(`worker ${spec.function}: queue "${spec.queue}" is not in resources.json`);
        }
        const rf = new RustFunction(this, spec.function, {
          functionName: spec.function,
          artifacts: props.artifacts,
          memoryMb: spec.memory_mb,
          timeoutS: queue.spec.consumer_timeout_s,
          environment: props.environment,
          description: `Forgeflow ${spec.function} (consumes SQS queue ${spec.queue})`,
        });
        if (spec.max_concurrency === undefined) throw new Error(`worker ${spec.function} needs max_concurrency`);
        props.queues.attachConsumer(spec.queue, rf.fn, spec.max_concurrency);
        functions.set(spec.function, rf);
      } else if (spec.schedule !== undefined) {
        if (spec.timeout_s === undefined) throw new Error(`scheduled worker ${spec.function} needs timeout_s`);
        const rf = new RustFunction(this, spec.function, {
          functionName: spec.function,
          artifacts: props.artifacts,
          memoryMb: spec.memory_mb,
          timeoutS: spec.timeout_s,
          environment: props.environment,
          description: `Forgeflow ${spec.function} (scheduled: ${spec.schedule})`,
        });
        schedules.set(
          spec.function,
          new events.Rule(this, `${spec.function}-schedule`, {
            description: `Forgeflow: runs ${spec.function} on ${spec.schedule}`,
            schedule: events.Schedule.expression(spec.schedule),
            targets: [new targets.LambdaFunction(rf.fn)],
          }),
        );
        functions.set(spec.function, rf);
      } else {
        throw new Error(`worker ${spec.function} has neither a queue nor a schedule`);
      }
    }
    this.functions = functions;
    this.schedules = schedules;
  }
}
