// Where tenant stacks run and how the engine is configured for it: the local cloud (file
// backend and passphrase under the data dir) or AWS (a configured backend and secrets provider).
// It must never put a credential on a command line or in a log: secrets travel by environment.
import { join } from 'node:path';
import type { S3Connection } from '../domain/s3-connection.js';
import type { EventsQueue } from '../domain/events-queue.js';

/** What both targets give every tenant bucket. */
type BucketAccess = {
  /**
   * The web console's origins, allowed by the bucket's CORS rule to PUT upload parts and GET outputs
   * from the browser (with the ETag header readable). None or empty: no CORS rule.
   */
  consoleOrigins?: string[];
};

export type LocalTarget = BucketAccess & {
  kind: 'local';
  /** The local object store's connection (src/local/object-store.ts `store.connection`). */
  connection: S3Connection;
  /** Never empty: main generates it on first start and keeps it in the data dir. */
  passphrase: string;
};

export type AwsTarget = BucketAccess & {
  kind: 'aws';
  region: string;
  /** An s3:// state bucket or Pulumi Cloud. */
  backendUrl: string;
  /** `passphrase` or an `awskms://…` key. */
  secretsProvider: string;
  passphrase?: string;
  /** The Pulumi organization of the platform stack ("organization" on a self-managed backend). */
  pulumiOrganization: string;
  /** The thumbnailer image: a pushed URI, or the fully qualified name of the platform stack that built it. */
  image: { uri: string } | { platformStack: string };
  /** The queue every tenant bucket's catalog events go to (the platform stack creates it). */
  eventsQueue: EventsQueue;
  /**
   * The longest a single resource delete may take (the bucket's, which empties it first, above
   * all): below the operation timeout, so a destroy ends in time and never outlives its operation.
   */
  deleteTimeoutSeconds: number;
};

export type TenantTarget = LocalTarget | AwsTarget;

/**
 * A resource delete's bound for an operation timeout: three quarters of it, so the refresh before
 * the destroy and the deletes after the bucket's still fit (a cancelled engine waits for a delete
 * in flight, and the provider ends one only at its own timeout).
 */
export function resourceDeleteTimeoutSeconds(operationTimeoutSeconds: number): number {
  return Math.max(60, Math.floor(operationTimeoutSeconds * 0.75));
}

/**
 * The engine's files: the local backend's state under the data dir every replica shares, and
 * this replica's own PULUMI_HOME and work dirs under its scratch dir.
 */
export function engineDirs(dataDir: string, scratchDir: string) {
  return {
    workDirs: join(scratchDir, 'work'),
    pulumiHome: join(scratchDir, 'pulumi-home'),
    stateDir: join(dataDir, 'state'),
  };
}

/**
 * The local backend is the shared data dir's state dir: every replica sees every stack. Its blobs
 * keep no `.attrs` sidecar files (`metadata=skip`): those are written in place, and a reader that
 * meets one mid-write fails with "failed to load checkpoint: EOF" (a preview beside its tenant's up).
 */
export function backendUrl(target: TenantTarget, dataDir: string): string {
  return target.kind === 'local' ? `file://${join(dataDir, 'state')}?metadata=skip` : target.backendUrl;
}
