// The creates a killed engine left pending in a stack's state, adopted: each becomes a resource
// with the physical id it would have (every thumbforge resource has a fixed name, so the id follows
// from its inputs), and the next refresh's read keeps it where the resource exists and drops it
// where it does not. A pending create with no such id is cleared. Pure: a deployment in, one out.

type PendingResource = { urn?: string; type?: string; inputs?: Record<string, unknown> } & Record<string, unknown>;
type PendingOperation = { type?: string; resource?: PendingResource };
type ExportedDeployment = { version?: number; deployment?: { resources?: unknown[]; pending_operations?: PendingOperation[] } & Record<string, unknown> };

/** Resource type (or, for dynamic resources, the last part of it) → the physical id from its inputs. */
const ID_OF: Record<string, (inputs: Record<string, unknown>) => unknown> = {
  LocalBucket: (inputs) => inputs.name,
  LocalFunction: (inputs) => inputs.name,
  LocalTrigger: (inputs) => inputs.bucket,
  'aws:s3/bucket:Bucket': (inputs) => inputs.bucket,
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': (inputs) => inputs.bucket,
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': (inputs) => inputs.bucket,
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': (inputs) => inputs.bucket,
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': (inputs) => inputs.bucket,
  'aws:s3/bucketNotification:BucketNotification': (inputs) => inputs.bucket,
  'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration': (inputs) => inputs.bucket,
  'aws:cloudwatch/logGroup:LogGroup': (inputs) => inputs.name,
  'aws:iam/role:Role': (inputs) => inputs.name,
  'aws:iam/rolePolicy:RolePolicy': (inputs) => (inputs.role && inputs.name ? `${inputs.role}:${inputs.name}` : undefined),
  'aws:lambda/function:Function': (inputs) => inputs.name,
  'aws:lambda/permission:Permission': (inputs) => (inputs.function && inputs.statementId ? `${inputs.function}/${inputs.statementId}` : undefined),
};

function idFor(type: string, inputs: Record<string, unknown>): string | undefined {
  const rule = ID_OF[type] ?? ID_OF[type.split(':').at(-1) ?? ''];
  const id = rule?.(inputs);
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/**
 * The exported stack with its pending creates adopted (or cleared) and its other pending operations
 * kept; undefined when it has no pending create.
 */
export function adoptPendingCreates<T>(exported: T): { deployment: T; adopted: string[]; cleared: string[] } | undefined {
  const state = exported as ExportedDeployment;
  const pending = state.deployment?.pending_operations ?? [];
  const creates = pending.filter((operation) => operation.type === 'creating');
  if (creates.length === 0) return undefined;
  const adopted: string[] = [];
  const cleared: string[] = [];
  const resources = creates.flatMap((operation) => {
    const resource = operation.resource ?? {};
    const id = resource.type ? idFor(resource.type, resource.inputs ?? {}) : undefined;
    if (!id || !resource.urn) {
      cleared.push(String(resource.urn));
      return [];
    }
    adopted.push(resource.urn);
    // The refresh's read replaces these outputs with what the cloud really has.
    return [{ ...resource, id, outputs: resource.inputs ?? {} }];
  });
  const deployment = {
    ...state,
    deployment: {
      ...state.deployment,
      resources: [...(state.deployment?.resources ?? []), ...resources],
      pending_operations: pending.filter((operation) => operation.type !== 'creating'),
    },
  };
  return { deployment: deployment as T, adopted, cleared };
}
