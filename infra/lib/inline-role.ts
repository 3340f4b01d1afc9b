// A function's role whose permissions are one inline policy on the role itself, not a separate
// AWS::IAM::Policy resource. IAM-wise the same thing (AWS::IAM::Policy is an inline policy put on the
// role), but one resource fewer per function against CloudFormation's 500 per template, and a function
// can never be created before its permissions (they are part of the role it depends on).
import { Lazy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export const INLINE_POLICY_NAME = 'permissions';

export class InlinePolicyRole extends iam.Role {
  /** Every statement granted to the role: CDK's grant methods, event sources, ours. */
  readonly permissions = new iam.PolicyDocument();

  constructor(scope: Construct, id: string) {
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    const role = this.node.defaultChild as iam.CfnRole;
    role.policies = Lazy.any({
      produce: () =>
        this.permissions.isEmpty ? undefined : [{ policyName: INLINE_POLICY_NAME, policyDocument: this.permissions }],
    });
  }

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.permissions.addStatements(statement);
    return { statementAdded: true, policyDependable: this };
  }
}
