// The web page: a private bucket only CloudFront reads (Origin Access Control), HTTPS and security headers
// on the distribution, a BucketDeployment of web/ plus a generated config.json holding the two API URLs, and
// the CORS rule for the page's origin. Also: the synth survives a missing web/ directory.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_SETTINGS, withWebOrigin } from '../../lib/forgeflow-stack';
import { CONFIG_OBJECT, webDir, webSources } from '../../lib/web';
import {
  actionsOf,
  actionsOn,
  apiId,
  bucketId,
  deployerRoleIds,
  ofType,
  referencedIds,
  resources,
  synth,
  synthesized,
  template,
  webBucketId,
  type Statement,
  scratchDir,
} from '../helpers';

const distribution = (t: ReturnType<typeof template>) => {
  const found = ofType(t, 'AWS::CloudFront::Distribution');
  assert.equal(found.length, 1);
  return found[0];
};

describe('web page', () => {
  const t = template();

  it('keeps the page in its own bucket: private, encrypted, TLS only, owner-enforced', () => {
    const web = webBucketId(t);
    assert.notEqual(web, bucketId(t), 'not the artifacts bucket');
    const props = resources(t)[web].Properties;
    assert.deepEqual(props.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(props.BucketEncryption.ServerSideEncryptionConfiguration, [
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    assert.deepEqual(props.OwnershipControls, { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    assert.equal(props.WebsiteConfiguration, undefined, 'not an S3 website endpoint');
  });

  it('lets only this CloudFront distribution read the bucket (bucket policy)', () => {
    const web = webBucketId(t);
    const [distId] = distribution(t);
    const policies = ofType(t, 'AWS::S3::BucketPolicy').filter(([, p]) => referencedIds(p.Bucket).has(web));
    assert.equal(policies.length, 1);
    const statements: (Statement & { Principal: unknown; Condition?: unknown })[] = policies[0][1].PolicyDocument.Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    assert.equal(allows.length, 1, 'one Allow statement');
    const [allow] = allows;
    assert.deepEqual(allow.Principal, { Service: 'cloudfront.amazonaws.com' });
    assert.deepEqual(actionsOf([allow]), ['s3:GetObject']);
    assert.ok(referencedIds(allow.Condition).has(distId), 'AWS:SourceArn is this distribution');
    assert.deepEqual(Object.keys((allow.Condition as Record<string, Record<string, unknown>>).StringEquals), ['AWS:SourceArn']);
    // And plain HTTP is refused.
    assert.ok(
      statements.some(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      ),
    );
  });

  it('reaches the bucket through Origin Access Control (signed requests), not an origin access identity', () => {
    const [, dist] = distribution(t);
    const [origin] = dist.DistributionConfig.Origins;
    assert.ok(referencedIds(origin.DomainName).has(webBucketId(t)));
    assert.deepEqual(origin.S3OriginConfig, { OriginAccessIdentity: '' });
    const oacId = [...referencedIds(origin.OriginAccessControlId)][0];
    const oac = resources(t)[oacId];
    assert.equal(oac.Type, 'AWS::CloudFront::OriginAccessControl');
    assert.equal(oac.Properties.OriginAccessControlConfig.OriginAccessControlOriginType, 's3');
    assert.equal(oac.Properties.OriginAccessControlConfig.SigningBehavior, 'always');
    assert.equal(oac.Properties.OriginAccessControlConfig.SigningProtocol, 'sigv4');
  });

  it('redirects HTTP to HTTPS, serves index.html at the root and adds the security headers', () => {
    const [, dist] = distribution(t);
    const config = dist.DistributionConfig;
    assert.equal(config.DefaultRootObject, 'index.html');
    assert.equal(config.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    assert.deepEqual(config.DefaultCacheBehavior.AllowedMethods, ['GET', 'HEAD']);
    const policyId = config.DefaultCacheBehavior.ResponseHeadersPolicyId.Ref;
    const headers = resources(t)[policyId].Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    assert.equal(headers.StrictTransportSecurity.AccessControlMaxAgeSec, 365 * 86400);
    assert.equal(headers.StrictTransportSecurity.IncludeSubdomains, true);
    assert.deepEqual(headers.ContentTypeOptions, { Override: true });
    assert.equal(headers.FrameOptions.FrameOption, 'DENY');
    assert.ok(headers.ReferrerPolicy.ReferrerPolicy);
    const csp = JSON.stringify(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.match(csp, /connect-src 'self' https:\/\/\*\.execute-api\..* wss:\/\/\*\.execute-api\./);
  });

  it('deploys web/ and a generated config.json {"apiUrl", "wsUrl"} into the web bucket, then invalidates the cache', () => {
    const { outdir } = synthesized();
    const deployments = ofType(t, 'Custom::CDKBucketDeployment');
    assert.equal(deployments.length, 1);
    const [, deployment] = deployments[0];
    assert.equal(deployment.DestinationBucketName.Ref, webBucketId(t));
    assert.equal(deployment.Prune, true);
    assert.equal(deployment.RetainOnDelete, false);
    assert.equal(deployment.DistributionId.Ref, distribution(t)[0]);
    assert.deepEqual(deployment.DistributionPaths, ['/*']);

    // Every source is a staged asset (asset.<hash>/ in the assembly); exactly one holds only config.json.
    const dirs: string[] = deployment.SourceObjectKeys.map((key: string) => path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`));
    const configIndex = dirs.findIndex((dir) => existsSync(path.join(dir, CONFIG_OBJECT)));
    assert.ok(configIndex >= 0, 'a source holds config.json');
    assert.ok(configIndex === dirs.length - 1, 'config.json is the last source (it wins)');
    const raw = readFileSync(path.join(dirs[configIndex], CONFIG_OBJECT), 'utf8');
    // The URLs are resolved at deploy time: markers in the file, their values in SourceMarkers.
    const markers: Record<string, unknown> = deployment.SourceMarkers[configIndex];
    const resolve = (value: string) =>
      value.replace(/<<marker:0xbaba:\d+>>/g, (marker) => `{${JSON.stringify(markers[marker])}}`);
    const config = JSON.parse(raw);
    assert.deepEqual(Object.keys(config).sort(), ['apiUrl', 'wsUrl']);
    const http = apiId(t, 'HTTP');
    const ws = apiId(t, 'WEBSOCKET');
    assert.ok(resolve(config.apiUrl).startsWith(`https://{${JSON.stringify({ Ref: http })}}.execute-api.`), config.apiUrl);
    assert.ok(resolve(config.wsUrl).startsWith(`wss://{${JSON.stringify({ Ref: ws })}}.execute-api.`), config.wsUrl);
    assert.ok(resolve(config.wsUrl).endsWith('/live'), config.wsUrl);

    // The page itself: web/ when it exists (its own config.json never deployed), else the placeholder.
    const others = dirs.filter((_, i) => i !== configIndex);
    assert.ok(others.some((dir) => existsSync(path.join(dir, 'index.html'))), 'some source holds index.html');
    for (const dir of others) assert.ok(!existsSync(path.join(dir, CONFIG_OBJECT)), `${dir} has no config.json`);
    // The page's ES modules (web/js/, imported by relative path) go along with index.html.
    if (existsSync(path.join(webDir(), 'js', 'app.js'))) {
      assert.ok(
        others.some((dir) => existsSync(path.join(dir, 'js', 'app.js')) && existsSync(path.join(dir, 'js', 'views', 'run.js'))),
        'the modules in web/js/ are deployed',
      );
    }
  });

  it('lets the deployment handler write and prune only the web bucket (plus read CDK assets)', () => {
    const web = webBucketId(t);
    const [roleId] = [...deployerRoleIds(t)];
    const statements = ofType(t, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Roles ?? []).some((r: { Ref?: string }) => r.Ref === roleId))
      .flatMap(([, p]) => p.PolicyDocument.Statement as Statement[]);
    for (const s of statements.filter((st) => actionsOf([st]).some((a) => /^s3:(Delete|Put)/.test(a)))) {
      assert.deepEqual([...referencedIds(s.Resource)], [web], 'writes and deletes only in the web bucket');
    }
    assert.ok(actionsOn(statements, web).includes('s3:DeleteObject*'), 'prunes stale files');
    assert.deepEqual(actionsOn(statements, bucketId(t)), [], 'nothing on the artifacts bucket');
    for (const action of actionsOf(statements)) assert.match(action, /^(s3|cloudfront):/, action);
  });

  it('outputs the page URL', () => {
    t.hasOutput('WebUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution(t)[0], 'DomainName'] }, '/']] },
    });
  });

  it('keeps a * CORS origin as it is, and adds the page’s origin to an explicit list', () => {
    assert.deepEqual(withWebOrigin(['*'], 'https://d1.cloudfront.net'), ['*']);
    assert.deepEqual(withWebOrigin(['https://app.example.com'], 'https://d1.cloudfront.net'), [
      'https://app.example.com',
      'https://d1.cloudfront.net',
    ]);
    assert.deepEqual(withWebOrigin([], 'https://d1.cloudfront.net'), ['https://d1.cloudfront.net']);

    const t2 = synth(undefined, { ...DEFAULT_SETTINGS, corsOrigins: ['https://app.example.com'] });
    const [distId] = distribution(t2);
    const pageOrigin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distId, 'DomainName'] }]] };
    t2.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com', pageOrigin] }),
    });
    const artifacts = resources(t2)[bucketId(t2)].Properties;
    assert.deepEqual(artifacts.CorsConfiguration.CorsRules[0].AllowedOrigins, ['https://app.example.com', pageOrigin]);
  });

  it('deploys a placeholder page when web/ is missing or has no index.html, and never web/config.json', () => {
    const missing = webSources(path.join(tmpdir(), 'forgeflow-no-such-web-dir'));
    assert.match(missing.placeholderReason ?? '', /missing or empty/);
    assert.equal(missing.sources.length, 1, 'the placeholder page only');

    const empty = scratchDir('forgeflow-web');
    assert.match(webSources(empty).placeholderReason ?? '', /missing or empty/);

    const noIndex = scratchDir('forgeflow-web');
    writeFileSync(path.join(noIndex, 'app.js'), '');
    const partial = webSources(noIndex);
    assert.match(partial.placeholderReason ?? '', /no index\.html/);
    assert.equal(partial.sources.length, 2, 'the files and a placeholder index.html');

    const full = scratchDir('forgeflow-web');
    mkdirSync(path.join(full, 'img'));
    for (const f of ['index.html', 'app.js', CONFIG_OBJECT]) writeFileSync(path.join(full, f), '');
    const page = webSources(full);
    assert.equal(page.placeholderReason, undefined);
    assert.equal(page.sources.length, 1);

    const onlyConfig = scratchDir('forgeflow-web');
    writeFileSync(path.join(onlyConfig, CONFIG_OBJECT), '{}');
    assert.equal(webSources(onlyConfig).sources.length, 1, 'config.json alone is not deployed');
  });

  it('synthesizes without a web/ directory (FORGEFLOW_WEB_DIR pointing nowhere)', () => {
    const saved = process.env.FORGEFLOW_WEB_DIR;
    process.env.FORGEFLOW_WEB_DIR = path.join(tmpdir(), 'forgeflow-no-such-web-dir');
    try {
      const t2 = synth();
      assert.equal(ofType(t2, 'Custom::CDKBucketDeployment').length, 1);
    } finally {
      if (saved === undefined) delete process.env.FORGEFLOW_WEB_DIR;
      else process.env.FORGEFLOW_WEB_DIR = saved;
    }
  });
});
