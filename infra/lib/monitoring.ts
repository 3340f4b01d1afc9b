// CloudWatch alarms: any message in a dead-letter queue, and errors or throttles of any function.
// Every alarm notifies one SNS topic; subscribe an address with the `forgeflow:alarmEmail` context value.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  readonly alarmEmail?: string;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'Forgeflow alarms', enforceSSL: true });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    this.action = new actions.SnsAction(this.topic);
  }

  /** Alarms as soon as one message sits in the dead-letter queue of queue `name`. */
  watchDeadLetterQueue(name: string, dlq: sqs.IQueue): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${name}-dlq-not-empty`, {
      alarmDescription: `Messages in the ${name} dead-letter queue: jobs failed after every retry`,
      metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }

  /**
   * Alarms on any error or throttle of function `name` within five minutes: one alarm on the sum
   * of both metrics (metric math), not one each, since every function's resources count against
   * CloudFormation's 500 per template. The description says which to look at.
   */
  watchFunction(name: string, fn: lambda.IFunction): cloudwatch.Alarm {
    const period = Duration.minutes(5);
    const alarm = new cloudwatch.Alarm(this, `${name}-errors-or-throttles`, {
      alarmDescription: `${name}: invocations ended in an error or were throttled (see its Errors and Throttles metrics)`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(errors, 0) + FILL(throttles, 0)',
        usingMetrics: {
          errors: fn.metricErrors({ period, statistic: 'Sum' }),
          throttles: fn.metricThrottles({ period, statistic: 'Sum' }),
        },
        period,
        label: `${name} errors + throttles`,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}
