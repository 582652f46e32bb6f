// Pending creates adopted with the physical id their fixed name gives, the rest cleared, other
// pending operations kept: the deployment the takeover and every `up` import before refreshing.
import t from 'tap';
import { adoptPendingCreates } from '../../src/stacks/pending-creates.js';

const bucket = { urn: 'urn:pulumi:acme::p::pulumi-nodejs:dynamic/thumbforge:LocalBucket::bucket', type: 'pulumi-nodejs:dynamic/thumbforge:LocalBucket', custom: true, inputs: { name: 'thumbforge-acme' } };
const role = { urn: 'urn:pulumi:acme::p::aws:iam/role:Role::function-role', type: 'aws:iam/role:Role', custom: true, inputs: { name: 'thumbforge-acme-fn' } };
const cors = { urn: 'urn:pulumi:acme::p::aws:s3/bucketCorsConfiguration:BucketCorsConfiguration::bucket-cors', type: 'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration', custom: true, inputs: { bucket: 'acme-123456789012-eu-west-1' } };
const nameless = { urn: 'urn:pulumi:acme::p::aws:s3/bucketObject:BucketObject::x', type: 'aws:s3/bucketObject:BucketObject', custom: true, inputs: {} };
const stackResource = { urn: 'urn:pulumi:acme::p::pulumi:pulumi:Stack::p-acme', type: 'pulumi:pulumi:Stack' };

t.test('a deployment without pending creates is left alone', async (t) => {
  t.equal(adoptPendingCreates({ version: 3, deployment: { resources: [stackResource], pending_operations: [{ type: 'updating', resource: bucket }] } }), undefined);
  t.equal(adoptPendingCreates({ version: 3, deployment: {} }), undefined);
});

t.test('creates with a fixed name become resources with that id; the rest are cleared; other operations stay', async (t) => {
  const adoption = adoptPendingCreates({
    version: 3,
    deployment: {
      resources: [stackResource],
      pending_operations: [
        { type: 'creating', resource: bucket },
        { type: 'creating', resource: role },
        { type: 'creating', resource: cors },
        { type: 'creating', resource: nameless },
        { type: 'deleting', resource: stackResource },
      ],
    },
  })!;
  t.same(adoption.adopted, [bucket.urn, role.urn, cors.urn]);
  t.same(adoption.cleared, [nameless.urn]);
  const deployment = adoption.deployment.deployment;
  t.same(deployment.resources, [stackResource, { ...bucket, id: 'thumbforge-acme', outputs: bucket.inputs }, { ...role, id: 'thumbforge-acme-fn', outputs: role.inputs }, { ...cors, id: cors.inputs.bucket, outputs: cors.inputs }]);
  t.same(deployment.pending_operations, [{ type: 'deleting', resource: stackResource }], 'only the non-create pending operation is kept');
});
