// What the local program's dynamic resources do, run inside the engine's provider process (the
// providers import this module by URL). It reaches the object store and the registrations dir
// named by THUMBFORGE_LOCAL_CLOUD in the engine's environment, so credentials never enter state.
// It must never log credentials. Registrations are idempotent; a bucket create is not, as on S3.
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CONSOLE_CORS_EXPOSED, CONSOLE_CORS_HEADERS, CONSOLE_CORS_MAX_AGE_SECONDS, CONSOLE_CORS_METHODS } from './bucket-cors.js';
import { createS3Client, type S3Connection } from '../domain/s3-connection.js';
import {
  findFunction,
  findTrigger,
  registerFunction,
  registerTrigger,
  unregisterFunction,
  unregisterTrigger,
  type FunctionRegistration,
  type TriggerRegistration,
} from '../domain/local-registrations.js';

export const LOCAL_CLOUD_ENV = 'THUMBFORGE_LOCAL_CLOUD';

export type LocalCloud = { dataDir: string; connection: S3Connection };

export function localCloudEnv(cloud: LocalCloud): Record<string, string> {
  return { [LOCAL_CLOUD_ENV]: JSON.stringify(cloud) };
}

function localCloud(): LocalCloud {
  const raw = process.env[LOCAL_CLOUD_ENV];
  if (!raw) throw new Error(`${LOCAL_CLOUD_ENV} is not set: the local program runs only through the tenant service`);
  return JSON.parse(raw) as LocalCloud;
}

function s3(): S3Client {
  return createS3Client(localCloud().connection);
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string }).name;
}

/**
 * versitygw 1.8 may refuse a create with "XAdminUserNotFound" under concurrent requests (it reads
 * the caller's access key from memory another request reused): a refusal of the root user, who
 * exists, so the create is asked again.
 */
const SPURIOUS_CREATE_REFUSAL = 'XAdminUserNotFound';
const CREATE_ATTEMPTS = 3;

/** Creates the bucket; an existing one fails the create, as S3 does (a takeover imports it instead). */
export async function createBucket(name: string): Promise<void> {
  const client = s3();
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return;
    } catch (error) {
      // After a spurious refusal, "already owned by you" is this create's own bucket.
      if (attempt > 1 && errorName(error) === 'BucketAlreadyOwnedByYou') return;
      if (errorName(error) === SPURIOUS_CREATE_REFUSAL && attempt < CREATE_ATTEMPTS) continue;
      throw new Error(`cannot create bucket "${name}": ${errorName(error) ?? ''} ${(error as Error).message}`.replace(/\s+/g, ' '));
    }
  }
}

export async function bucketExists(name: string): Promise<boolean> {
  try {
    await s3().send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (error) {
    if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchBucket') return false;
    throw error;
  }
}

/** A bucket resource's state: its name, and the console's CORS origins when it has any (stacks made before the rule have none). */
export function bucketState(name: string, corsOrigins: string[]): { name: string; corsOrigins?: string[] } {
  return { name, ...(corsOrigins.length > 0 && { corsOrigins }) };
}

/** Gives the bucket the console's CORS rule for these origins; none removes the rule. */
export async function setBucketCors(name: string, origins: string[]): Promise<void> {
  const client = s3();
  if (origins.length === 0) {
    await client.send(new DeleteBucketCorsCommand({ Bucket: name }));
    return;
  }
  const rule = {
    AllowedOrigins: origins,
    AllowedMethods: CONSOLE_CORS_METHODS,
    AllowedHeaders: CONSOLE_CORS_HEADERS,
    ExposeHeaders: CONSOLE_CORS_EXPOSED,
    MaxAgeSeconds: CONSOLE_CORS_MAX_AGE_SECONDS,
  };
  await client.send(new PutBucketCorsCommand({ Bucket: name, CORSConfiguration: { CORSRules: [rule] } }));
}

/** The origins the bucket's CORS rules allow, as the store holds them (none without a CORS configuration). */
export async function bucketCorsOrigins(name: string): Promise<string[]> {
  try {
    const answer = await s3().send(new GetBucketCorsCommand({ Bucket: name }));
    return (answer.CORSRules ?? []).flatMap((rule) => rule.AllowedOrigins ?? []);
  } catch (error) {
    if (errorName(error) === 'NoSuchCORSConfiguration') return [];
    throw error;
  }
}

/** Empties the bucket page by page, then removes it; a bucket already gone is fine. */
export async function deleteBucket(name: string): Promise<void> {
  const client = s3();
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: name }));
  } catch (error) {
    if (errorName(error) !== 'NoSuchBucket') throw new Error(`cannot delete bucket "${name}": ${(error as Error).message}`);
  }
}

/** The registration a resource's properties describe (state also carries the engine's `__provider`). */
export function functionRegistration(props: Record<string, unknown>): FunctionRegistration {
  const { name, bucket, settings, timeoutSeconds, memoryMb } = props as FunctionRegistration;
  return { name, bucket, settings, timeoutSeconds, memoryMb };
}

export function triggerRegistration(props: Record<string, unknown>): TriggerRegistration {
  const { bucket, functionName, events, filters } = props as TriggerRegistration;
  return { bucket, functionName, events, filters };
}

export const saveFunction = (props: Record<string, unknown>) => registerFunction(localCloud().dataDir, functionRegistration(props));
export const removeFunction = (name: string) => unregisterFunction(localCloud().dataDir, name);
export const saveTrigger = (props: Record<string, unknown>) => registerTrigger(localCloud().dataDir, triggerRegistration(props));
export const removeTrigger = (bucket: string) => unregisterTrigger(localCloud().dataDir, bucket);
export const readFunction = (name: string) => findFunction(localCloud().dataDir, name);
export const readTrigger = (bucket: string) => findTrigger(localCloud().dataDir, bucket);
