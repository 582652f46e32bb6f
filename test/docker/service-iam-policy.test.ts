// The IAM policy the service runs with (docs/service-iam-policy.json) stays least-privilege and
// still covers the names the tenant program really gives its resources.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/domain/toolchain.js';
import { bucketName, catalogRuleName, functionName, logGroupName, roleName } from '../../src/stacks/tenant-resource-names.js';
import { parseEventsQueueUrl, thumbnailerFailuresQueue } from '../../src/domain/events-queue.js';

type Statement = {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
};

const ACCOUNT = { accountId: '123456789012', region: 'eu-west-1' };
/** The state bucket name docs/aws.md tells an operator to create, for this account and region. */
const STATE_BUCKET = (() => {
  const guide = readFileSync(join(projectRoot, 'docs', 'aws.md'), 'utf8');
  const line = /^export STATE_BUCKET=(\S+)$/m.exec(guide);
  if (!line) throw new Error('docs/aws.md no longer says how to name the state bucket');
  return line[1]!.replaceAll('$ACCOUNT_ID', ACCOUNT.accountId).replaceAll('$AWS_REGION', ACCOUNT.region);
})();
const raw = readFileSync(join(projectRoot, 'docs', 'service-iam-policy.json'), 'utf8');
const EVENTS_QUEUE = 'thumbforge-catalog-events';
const policy = JSON.parse(raw.replaceAll('STATE_BUCKET', STATE_BUCKET).replaceAll('ACCOUNT_ID', ACCOUNT.accountId).replaceAll('REGION', ACCOUNT.region).replaceAll('EVENTS_QUEUE', EVENTS_QUEUE)) as {
  Version: string;
  Statement: Statement[];
};
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** IAM's ARN wildcards: `*` is any run of characters (slashes included), `?` is one character. */
function arnMatches(pattern: string, arn: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(arn);
}

function allows(action: string, arn: string): boolean {
  return policy.Statement.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      list(statement.Action).some((pattern) => arnMatches(pattern, action)) &&
      list(statement.Resource).some((pattern) => arnMatches(pattern, arn)),
  );
}

t.test('the policy is a valid IAM policy document', async (t) => {
  t.equal(policy.Version, '2012-10-17');
  t.ok(policy.Statement.length > 0);
  const sids = policy.Statement.map((statement) => statement.Sid);
  t.equal(new Set(sids).size, sids.length, 'statement ids are unique');
  for (const statement of policy.Statement) t.equal(statement.Effect, 'Allow', `${statement.Sid} only allows`);
});

t.test('no action is a wildcard over a whole service', async (t) => {
  for (const statement of policy.Statement) {
    for (const action of list(statement.Action)) {
      t.not(action, '*', `${statement.Sid}: no "*" action`);
      t.notMatch(action, /^[a-z0-9-]+:\*$/, `${statement.Sid}: ${action} is not service-wide`);
    }
  }
  const actions = policy.Statement.flatMap((statement) => list(statement.Action));
  t.notOk(actions.includes('s3:*'), 'no s3:*');
  t.notOk(actions.includes('iam:*'), 'no iam:*');
});

t.test('only the calls AWS cannot scope use Resource "*"', async (t) => {
  const unscoped = policy.Statement.filter((statement) => list(statement.Resource).includes('*'));
  t.same(unscoped.flatMap((statement) => list(statement.Action)).sort(), ['ecr:GetAuthorizationToken', 'sts:GetCallerIdentity']);
});

t.test('lambda:InvokeFunction is granted once, alone, on the tenant functions only', async (t) => {
  const invoke = policy.Statement.filter((statement) => list(statement.Action).some((action) => arnMatches(action, 'lambda:InvokeFunction')));
  t.same(
    invoke.map((statement) => [list(statement.Action), list(statement.Resource)]),
    [[['lambda:InvokeFunction'], [`arn:aws:lambda:${ACCOUNT.region}:${ACCOUNT.accountId}:function:thumbforge-*`]]],
    'exactly the right the regeneration needs',
  );
});

t.test('iam:PassRole reaches only thumbforge roles, and only for Lambda', async (t) => {
  const passRole = policy.Statement.filter((statement) => list(statement.Action).includes('iam:PassRole'));
  t.equal(passRole.length, 1);
  t.same(list(passRole[0]!.Resource), [`arn:aws:iam::${ACCOUNT.accountId}:role/thumbforge-*`]);
  t.same(passRole[0]!.Condition, { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } });
});

t.test("the tenant program's resource names fall inside the policy", async (t) => {
  const tenant = 'acme-videos';
  const { accountId, region } = ACCOUNT;
  const bucket = `arn:aws:s3:::${bucketName(tenant, ACCOUNT)}`;
  t.ok(allows('s3:CreateBucket', bucket), 'create the tenant bucket');
  t.ok(allows('s3:PutBucketNotification', bucket), 'attach the trigger');
  t.ok(allows('s3:PutBucketCORS', bucket) && allows('s3:GetBucketCORS', bucket), "the console's CORS rule (THUMBFORGE_CONSOLE_ORIGIN), also read back by refresh");
  t.ok(allows('s3:PutObject', `${bucket}/videos/01J/clip.mp4`), 'stream uploads');
  t.ok(allows('s3:GetObject', `${bucket}/thumbnails/01J/w320.jpeg`), 'sign thumbnail links');
  t.ok(allows('lambda:CreateFunction', `arn:aws:lambda:${region}:${accountId}:function:${functionName(tenant)}`));
  t.ok(allows('lambda:AddPermission', `arn:aws:lambda:${region}:${accountId}:function:${functionName(tenant)}`));
  for (const action of ['Put', 'Get', 'Update', 'Delete']) {
    t.ok(allows(`lambda:${action}FunctionEventInvokeConfig`, `arn:aws:lambda:${region}:${accountId}:function:${functionName(tenant)}`), `${action} the function's failure destination and retries`);
  }
  t.ok(allows('iam:CreateRole', `arn:aws:iam::${accountId}:role/${roleName(tenant)}`));
  t.ok(allows('iam:PutRolePolicy', `arn:aws:iam::${accountId}:role/${roleName(tenant)}`));
  t.ok(allows('logs:CreateLogGroup', `arn:aws:logs:${region}:${accountId}:log-group:${logGroupName(tenant)}`));

  const rule = `arn:aws:events:${region}:${accountId}:rule/${catalogRuleName(tenant)}`;
  t.ok(allows('events:PutRule', rule) && allows('events:PutTargets', rule), "the tenant's catalog rule and its target");
  const queue = `arn:aws:sqs:${region}:${accountId}:${EVENTS_QUEUE}`;
  t.ok(['sqs:ReceiveMessage', 'sqs:DeleteMessage'].every((action) => allows(action, queue)), 'consume the catalog events queue');
  t.ok(allows('sqs:SetQueueAttributes', queue) && allows('sqs:CreateQueue', `${queue}-dead`), 'the platform stack sets up the queue and its dead letter');
  const failures = thumbnailerFailuresQueue(parseEventsQueueUrl(`https://sqs.${region}.amazonaws.com/${accountId}/${EVENTS_QUEUE}`)!).arn;
  t.ok(['sqs:ReceiveMessage', 'sqs:DeleteMessage'].every((action) => allows(action, failures)), 'consume the thumbnailer failures queue, by the name the tenant program gives it');
  t.ok(allows('sqs:CreateQueue', failures) && allows('sqs:SetQueueAttributes', failures), 'the platform stack sets it up');
  t.notOk(allows('sqs:SendMessage', failures), 'only the tenant functions send to it');
  t.ok(allows('s3:DeleteObject', `${bucket}/thumbnails/01J/w320.jpeg`), 'DELETE /videos/:id removes outputs');
  t.ok(allows('lambda:InvokeFunction', `arn:aws:lambda:${region}:${accountId}:function:${functionName(tenant)}`), "POST /videos/:id/regenerate invokes the tenant's function");

  t.notOk(allows('events:PutRule', `arn:aws:events:${region}:${accountId}:rule/anything-else`), 'no rule outside the prefix');
  t.notOk(allows('sqs:SendMessage', queue), 'the service never sends to the queue itself');
  t.notOk(allows('sqs:SetQueueAttributes', `arn:aws:sqs:${region}:${accountId}:other-queue`), 'no other queue');
  t.notOk(allows('s3:CreateBucket', 'arn:aws:s3:::someone-elses-bucket'), 'no bucket outside the account-region suffix');
  t.notOk(allows('iam:CreateRole', `arn:aws:iam::${accountId}:role/admin`), 'no role outside the prefix');
  t.notOk(allows('lambda:CreateFunction', `arn:aws:lambda:${region}:${accountId}:function:payments`), 'no function outside the prefix');
  t.notOk(allows('lambda:InvokeFunction', `arn:aws:lambda:${region}:${accountId}:function:payments`), 'nor invoked outside it');
  t.notOk(allows('s3:PutBucketPolicy', bucket), 'bucket policies stay untouchable: public access cannot be opened');
});

t.test('no tenant grant reaches the state bucket docs/aws.md recommends', async (t) => {
  t.match(STATE_BUCKET, /^thumbforge-state-eu-west-1-123456789012$/, 'the guide names it after the region and account');
  const bucket = `arn:aws:s3:::${STATE_BUCKET}`;
  const tenantStatements = policy.Statement.filter((statement) => statement.Sid.startsWith('Tenant'));
  for (const statement of tenantStatements) {
    for (const pattern of list(statement.Resource)) t.notOk(arnMatches(pattern, bucket), `${statement.Sid} (${pattern}) cannot match it`);
  }
  for (const action of ['s3:DeleteBucket', 's3:PutBucketNotification', 's3:PutBucketCORS', 's3:PutLifecycleConfiguration', 's3:PutEncryptionConfiguration', 's3:PutBucketPublicAccessBlock', 's3:PutBucketTagging']) {
    t.notOk(allows(action, bucket), `${action} on the state bucket is refused`);
  }
  t.ok(allows('s3:ListBucket', bucket), 'the backend lists it');
  t.ok(allows('s3:PutObject', `${bucket}/.pulumi/stacks/thumbforge-tenants/acme.json`), 'and writes stack state');
  // The order the guide used before (account, then region) is exactly what the tenant pattern matches.
  t.ok(allows('s3:DeleteBucket', `arn:aws:s3:::thumbforge-state-${ACCOUNT.accountId}-${ACCOUNT.region}`), 'why the name puts the region first');
});
