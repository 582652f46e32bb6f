// What the local program's function and trigger resources register with the local function
// runner: one JSON file per registration under the data dir, written by the dynamic providers
// (in the engine's provider process) and read by the runner (in the service). The layout is
// defined here once; writes are atomic (temp file + rename) so a reader never sees half a file.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ThumbnailSettings } from './thumbnail-settings.js';

export type FunctionRegistration = {
  name: string;
  /** The bucket whose objects the function reads and writes. */
  bucket: string;
  settings: ThumbnailSettings;
  timeoutSeconds: number;
  memoryMb: number;
};

/** Mirrors the aws program's BucketNotification: object-created events, prefix and suffixes. */
export type TriggerRegistration = {
  bucket: string;
  functionName: string;
  events: string[];
  filters: Array<{ prefix: string; suffix: string }>;
};

export function registrationsDir(dataDir: string): string {
  return join(dataDir, 'local-cloud');
}

function file(dataDir: string, kind: 'functions' | 'triggers', name: string): string {
  return join(registrationsDir(dataDir), kind, `${name}.json`);
}

async function writeAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, path);
}

async function readAll<T>(dataDir: string, kind: 'functions' | 'triggers'): Promise<T[]> {
  const dir = join(registrationsDir(dataDir), kind);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as T));
}

/** One registration, or undefined when it is not registered. */
async function readOne<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export const registerFunction = (dataDir: string, registration: FunctionRegistration) =>
  writeAtomically(file(dataDir, 'functions', registration.name), registration);
export const unregisterFunction = (dataDir: string, name: string) => rm(file(dataDir, 'functions', name), { force: true });
export const listFunctions = (dataDir: string) => readAll<FunctionRegistration>(dataDir, 'functions');
export const findFunction = (dataDir: string, name: string) => readOne<FunctionRegistration>(file(dataDir, 'functions', name));

/** One trigger per bucket, as S3 keeps one notification configuration per bucket. */
export const registerTrigger = (dataDir: string, registration: TriggerRegistration) =>
  writeAtomically(file(dataDir, 'triggers', registration.bucket), registration);
export const unregisterTrigger = (dataDir: string, bucket: string) => rm(file(dataDir, 'triggers', bucket), { force: true });
export const listTriggers = (dataDir: string) => readAll<TriggerRegistration>(dataDir, 'triggers');
export const findTrigger = (dataDir: string, bucket: string) => readOne<TriggerRegistration>(file(dataDir, 'triggers', bucket));
