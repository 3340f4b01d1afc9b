// The web page (web/: index.html, style.css, the ES modules in js/): a private S3 bucket behind CloudFront. Only the
// distribution reads the bucket (Origin Access Control, a bucket policy naming this distribution); viewers
// are redirected to HTTPS and get security headers (HSTS, CSP, nosniff, frame denial, referrer policy).
// `deploy` uploads the page plus a generated `config.json` ({"apiUrl", "wsUrl"}) with a BucketDeployment
// and invalidates the distribution's cache.
//
// Built in two steps: the constructor creates the bucket and the distribution (the API's CORS needs the
// distribution's origin), and `deploy` runs once the APIs exist (config.json holds their URLs).
//
// When web/ is missing, empty or has no index.html (a checkout where the page is not written yet), the
// synth goes on: a placeholder index.html is deployed and the stack warns (`forgeflow:web-placeholder`).
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, type IResolveContext, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { encryptedLogGroup } from './logs';
import { REPO_ROOT } from './manifest';

/** The generated file the page reads its endpoints from. A `config.json` in web/ itself is not deployed. */
export const CONFIG_OBJECT = 'config.json';

/** Where the page's files are: `FORGEFLOW_WEB_DIR` (absolute, or relative to the repo root), default `web/`. */
export function webDir(): string {
  const override = process.env.FORGEFLOW_WEB_DIR;
  return override ? path.resolve(REPO_ROOT, override) : path.join(REPO_ROOT, 'web');
}

export interface WebSource {
  readonly sources: s3deploy.ISource[];
  /** Why the placeholder page is used, when it is. */
  readonly placeholderReason?: string;
}

const PLACEHOLDER_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>Forgeflow</title></head><body>' +
  '<p>Forgeflow: the web page was not built into this deployment (web/index.html was missing at synth).</p>' +
  '</body></html>\n';

/** The files to upload from `dir` (never its own config.json or dotfiles), or a placeholder page. */
export function webSources(dir: string): WebSource {
  const files = existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
  const sources: s3deploy.ISource[] = [];
  if (files.some((f) => f !== CONFIG_OBJECT)) {
    sources.push(s3deploy.Source.asset(dir, { exclude: [CONFIG_OBJECT, '.*'] }));
  }
  if (files.includes('index.html')) return { sources };
  sources.push(s3deploy.Source.data('index.html', PLACEHOLDER_PAGE));
  const reason = files.length === 0 ? `${dir} is missing or empty` : `${dir} has no index.html`;
  return { sources, placeholderReason: reason };
}

export interface WebHostingProps {
  /** Default: `webDir()`. */
  readonly dir?: string;
}

export class WebHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  private readonly dir: string;
  private _deployment?: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: WebHostingProps = {}) {
    super(scope, id);
    this.dir = props.dir ?? webDir();

    // Only derived content lives here (the page and config.json, redeployed by every `cdk deploy`), so the
    // bucket is deleted with the stack; the deployment empties it first (retainOnDelete: false).
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The page talks to the HTTP API and the WebSocket API of this region, and may fetch presigned
    // downloads from S3. Their exact hosts are not used here: the API's CORS refers to this distribution,
    // so the distribution must not refer back to the APIs (a dependency cycle).
    const { region, urlSuffix } = Stack.of(this);
    const connect = [
      "'self'",
      `https://*.execute-api.${region}.${urlSuffix}`,
      `wss://*.execute-api.${region}.${urlSuffix}`,
      `https://*.s3.${urlSuffix}`,
      `https://*.s3.${region}.${urlSuffix}`,
    ].join(' ');
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Forgeflow web: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
            `connect-src ${connect}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'`,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${Stack.of(this).stackName} web page`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // North America and Europe edges only: the cheapest class; other viewers are served from those.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
  }

  /** The page's origin, `https://<distribution>.cloudfront.net` (no trailing slash, as browsers send it). */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** The BucketDeployment `deploy` made (undefined before). */
  get deployment(): s3deploy.BucketDeployment | undefined {
    return this._deployment;
  }

  /** Uploads the page and `config.json` = {"apiUrl", "wsUrl"}, then invalidates the cache (once). */
  deploy(config: { readonly apiUrl: string; readonly wsUrl: string }): s3deploy.BucketDeployment {
    if (this._deployment) throw new Error('the web page is already deployed');
    const web = webSources(this.dir);
    if (web.placeholderReason !== undefined) {
      Annotations.of(this).addWarningV2(
        'forgeflow:web-placeholder',
        `${web.placeholderReason}: deploying a placeholder index.html (the page is web/index.html, style.css and js/).`,
      );
    }
    this._deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      // config.json last: it wins over anything with the same key.
      sources: [...web.sources, s3deploy.Source.jsonData(CONFIG_OBJECT, { apiUrl: config.apiUrl, wsUrl: config.wsUrl })],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      retainOnDelete: false,
      // The handler's log group, like every other: encrypted with the stack's log key and deleted with the
      // stack (CDK's default keeps it for two years after the stack is gone).
      logGroup: encryptedLogGroup(this, 'DeployLogs', { retention: logs.RetentionDays.ONE_MONTH }),
    });
    scopeInvalidationGrant(this._deployment, this.distribution);
    return this._deployment;
  }
}

const INVALIDATION_ACTIONS = new Set(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);

/**
 * BucketDeployment grants its handler cloudfront:CreateInvalidation and GetInvalidation on `*`, every
 * distribution of the account. Both actions take a distribution ARN as their resource, so the statement is
 * rewritten in the synthesized policy to name this distribution only (the rest of the policy is untouched).
 */
function scopeInvalidationGrant(deployment: s3deploy.BucketDeployment, distribution: cloudfront.Distribution): void {
  const policy = deployment.handlerRole.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof iam.Policy)) throw new Error(`${deployment.node.path}: the handler role has no default policy`);
  const cfnPolicy = policy.node.defaultChild as iam.CfnPolicy;
  cfnPolicy.addPropertyOverride(
    'PolicyDocument.Statement',
    Lazy.uncachedAny({
      produce: (context: IResolveContext) => {
        const document = context.resolve(policy.document) as { Statement: Record<string, unknown>[] };
        return document.Statement.map((statement) => {
          const actions = ([] as unknown[]).concat(statement.Action);
          const invalidation = actions.length > 0 && actions.every((a) => typeof a === 'string' && INVALIDATION_ACTIONS.has(a));
          return invalidation && statement.Resource === '*' ? { ...statement, Resource: distribution.distributionArn } : statement;
        });
      },
    }),
  );
}
