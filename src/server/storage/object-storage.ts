// The one adapter between the server and an S3 API (AWS or the local store): streamed multipart
// uploads, the multipart calls of direct uploads (presigned parts), listings, reads, heads, ranged reads,
// copies, deletes, presigned URLs (minted by url-signer.ts, not by the SDK). Routes and services never build an S3 command; an
// unreachable or silent store becomes StorageUnavailable (503) within the storage timeout, never
// a raw SDK error or a hung request, and a refused upload never leaves an object or a part behind.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Client, type S3Connection } from '../../domain/s3-connection.js';
import { DomainError, InvalidRequest, StorageUnavailable } from '../../domain/errors.js';
import { createUrlSigner, type SignedUrl } from './url-signer.js';

export type StoredObject = { key: string; size: number; lastModified: Date };
/** A part of a multipart upload the store holds: its ETag as the store quotes it (with the quotes). */
export type StoredPart = { partNumber: number; etag: string; size: number };

export type ObjectStorage = {
  /**
   * Streams `body` into `bucket/key`; `metadata` becomes the object's user metadata
   * (`x-amz-meta-<name>`). When it fails, whatever it wrote (parts, or an object a late request
   * put there) is removed: before this rejects while the store answers, in the background, retried
   * until it answers, when the store is what failed.
   */
  upload(input: { bucket: string; key: string; body: Readable; contentType: string; partSize: number; metadata?: Record<string, string> }): Promise<void>;
  list(bucket: string, options: { prefix: string; startAfter?: string; maxKeys?: number }): Promise<{ objects: StoredObject[]; truncated: boolean }>;
  /** The parsed JSON body of an object, or undefined when it does not exist. */
  readJson(bucket: string, key: string): Promise<unknown>;
  /** The object's size, type and time, or undefined when it does not exist. */
  head(bucket: string, key: string): Promise<{ size: number; contentType: string; lastModified: Date } | undefined>;
  /** Deletes these keys (at most 1,000) in one request; a key that does not exist is not an error. */
  deleteObjects(bucket: string, keys: string[]): Promise<void>;
  /** A GET link that lives at most `ttlSeconds`, the same URL for repeated calls within its signing window (url-signer.ts). */
  presignGet(bucket: string, key: string, ttlSeconds: number): Promise<SignedUrl>;
  /** Starts a multipart upload whose parts the client sends itself; resolves with the store's upload id. */
  createMultipart(input: { bucket: string; key: string; contentType: string }): Promise<string>;
  /** A URL the client PUTs one part's bytes to, living at most `ttlSeconds` (url-signer.ts, as presignGet). */
  presignUploadPart(input: { bucket: string; key: string; uploadId: string; partNumber: number }, ttlSeconds: number): Promise<SignedUrl>;
  /** The parts the store holds, in part order; undefined when the store knows no such upload (completed or aborted). */
  listParts(bucket: string, key: string, uploadId: string): Promise<StoredPart[] | undefined>;
  /**
   * Joins the parts (of about `size` bytes) into the object; false when the store knows no such
   * upload (completed or aborted). Parts the store refuses (unknown, out of order, too small) reject with InvalidRequest
   * carrying the store's reason, and leave the upload as it was.
   */
  completeMultipart(input: { bucket: string; key: string; uploadId: string; parts: Array<{ partNumber: number; etag: string }>; size: number }): Promise<boolean>;
  /** The object's first `bytes` bytes (fewer when it is shorter) and its whole size; undefined when it does not exist. */
  readHead(bucket: string, key: string, bytes: number): Promise<{ head: Buffer; size: number } | undefined>;
  /** Copies an object of `size` bytes within the bucket (at most 5 GiB, one request) with a new content type and metadata. */
  copy(input: { bucket: string; from: string; to: string; size: number; contentType: string; metadata?: Record<string, string> }): Promise<void>;
  /** Aborts every multipart upload of `key` and deletes its object; nothing to do when the bucket is gone. */
  remove(bucket: string, key: string): Promise<void>;
  /** Ends the background clean-ups; they do not hold the process up. */
  close(): void;
};

export type ObjectStorageOptions = {
  /** How long one request may wait on a silent store (connect, or no byte either way) before a 503. */
  timeoutSeconds: number;
};

/** The largest object one CopyObject request copies (S3's limit). */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
/**
 * The slowest a store may join parts or copy an object: such a request may stay silent the storage
 * timeout plus a second per this many bytes (the local store answers only once it is done).
 */
const STORE_WORK_BYTES_PER_SECOND = 32 * 1024 ** 2;
/** What CompleteMultipartUpload answers when the parts named are not ones it can join: the client's to fix. */
const REFUSED_PARTS = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML', 'InvalidArgument']);
/** Parts in flight per upload: memory stays near (UPLOAD_QUEUE_SIZE + 1) × partSize whatever the file size. */
const UPLOAD_QUEUE_SIZE = 2;
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'UND_ERR_SOCKET']);
/** Pauses between clean-up passes of a refused upload while the store does not answer. */
const CLEANUP_BACKOFF_MS = { first: 1_000, max: 30_000 };

/** A store that stayed silent for the whole timeout: named so, and not worth the SDK's retries. */
class StoreSilent extends Error {
  override readonly name = 'StoreSilent';
}

/** Leaves domain errors alone; turns "the store cannot be reached or failed" into StorageUnavailable. */
export function storageError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const e = error as { name?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const code = e.code ?? e.cause?.code;
  if (error instanceof StoreSilent || e.name === 'AbortError') return new StorageUnavailable('the object store did not answer in time');
  if ((status !== undefined && status >= 500) || (code !== undefined && NETWORK_ERROR_CODES.has(code)) || e.name === 'TimeoutError') {
    return new StorageUnavailable(`the object store cannot be reached (${code ?? e.name ?? status})`);
  }
  if (e.name === 'NoSuchBucket') return new StorageUnavailable('the tenant bucket does not exist');
  return error;
}

async function mapped<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw storageError(error);
  }
}

/**
 * Sends upload parts with an UNSIGNED-PAYLOAD SigV4 signature instead of the SDK's default, a
 * SHA-256 of every part: that hash cost the server a full pass over each byte and made the store
 * hash every byte again to check it (the profile's largest CPU cost of an upload). The request
 * itself stays signed; the bytes are guarded by TLS on AWS and never leave loopback locally, as
 * for a presigned PUT.
 */
function unsignedPartPayloads(s3: S3Client): void {
  s3.middlewareStack.add(
    (next, context) => (args) => {
      const { headers } = args.request as { headers?: Record<string, string> };
      if (context.commandName === 'UploadPartCommand' && headers) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'unsignedPartPayloads' },
  );
}

/**
 * Turns one attempt's socket timeout into StoreSilent before the SDK's retry step sees it: a store
 * that said nothing for the whole timeout would most likely say nothing again, and the caller
 * should have its 503 within the timeout, not after every attempt. Other errors are retried as usual.
 */
function silenceIsFinal(s3: S3Client): void {
  s3.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as { name?: string }).name === 'TimeoutError') throw new StoreSilent((error as Error).message);
        throw error;
      }
    },
    { step: 'deserialize', name: 'silenceIsFinal', priority: 'high' },
  );
}

export function createObjectStorage(connection: S3Connection, options: ObjectStorageOptions): ObjectStorage {
  const timeoutMs = options.timeoutSeconds * 1000;
  const s3: S3Client = createS3Client(connection, { silenceTimeoutMs: timeoutMs });
  unsignedPartPayloads(s3);
  silenceIsFinal(s3);
  // The client's own credentials provider: static keys locally, the default chain (refreshed, session tokens) on AWS.
  const urls = createUrlSigner(connection, { credentials: s3.config.credentials });
  const closed = new AbortController();
  /** A read's whole bound, its retries included. */
  const readBound = () => ({ abortSignal: AbortSignal.any([AbortSignal.timeout(timeoutMs), closed.signal]) });
  // Joins and copies keep the store silent for as long as their size takes: they go through a client
  // without the silence bound, each bounded as a whole by its size instead.
  const patientS3: S3Client = createS3Client(connection);
  const workBound = (bytes: number) => ({
    abortSignal: AbortSignal.any([AbortSignal.timeout(timeoutMs + Math.ceil(bytes / STORE_WORK_BYTES_PER_SECOND) * 1000), closed.signal]),
  });

  /** One pass: aborts every multipart upload of `key` and deletes the object (the key is this upload's own, never reused). */
  async function removeUpload(bucket: string, key: string): Promise<void> {
    const signal = { abortSignal: closed.signal };
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }), signal);
    for (const upload of open.Uploads ?? []) {
      if (upload.Key === key) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }), signal);
    }
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), signal);
  }

  /**
   * Passes until one succeeds, with growing pauses while the store is away; then one more, a
   * timeout later, for a request the store had already received when it froze, and carries out
   * once it thaws.
   */
  async function removeUploadEventually(bucket: string, key: string): Promise<void> {
    for (let pause = CLEANUP_BACKOFF_MS.first; !closed.signal.aborted; pause = Math.min(pause * 2, CLEANUP_BACKOFF_MS.max)) {
      try {
        await removeUpload(bucket, key);
        await sleep(timeoutMs, undefined, { signal: closed.signal });
        await removeUpload(bucket, key);
        return;
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchBucket') return; // the bucket, and all in it, is gone
        await sleep(pause, undefined, { signal: closed.signal }).catch(() => undefined);
      }
    }
  }

  return {
    async upload({ bucket, key, body, contentType, partSize, metadata }) {
      const upload = new Upload({
        client: s3,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata },
        partSize,
        queueSize: UPLOAD_QUEUE_SIZE,
        // Parts are removed below, so that a store that went away does not hold the answer up.
        leavePartsOnError: true,
      });
      try {
        await upload.done();
      } catch (error) {
        const failure = storageError(error);
        if (failure instanceof StorageUnavailable) void removeUploadEventually(bucket, key);
        else await removeUpload(bucket, key).catch(() => void removeUploadEventually(bucket, key));
        throw failure;
      }
    },

    async list(bucket, { prefix, startAfter, maxKeys }) {
      const page = await mapped(s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, StartAfter: startAfter, MaxKeys: maxKeys }), readBound()));
      return {
        objects: (page.Contents ?? []).map((object) => ({ key: object.Key!, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) })),
        truncated: page.IsTruncated === true,
      };
    },

    async readJson(bucket, key) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), readBound());
        return JSON.parse(await object.Body!.transformToString());
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        if (error instanceof SyntaxError) return { reason: 'unreadable error record' };
        throw storageError(error);
      }
    },

    async head(bucket, key) {
      try {
        const object = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), readBound());
        return { size: object.ContentLength ?? 0, contentType: object.ContentType ?? 'application/octet-stream', lastModified: object.LastModified ?? new Date(0) };
      } catch (error) {
        // A HEAD answer has no body: the SDK names a missing object NotFound.
        if ((error as { name?: string }).name === 'NotFound' || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw storageError(error);
      }
    },

    presignGet(bucket, key, ttlSeconds) {
      return urls.sign({ method: 'GET', bucket, key, ttlSeconds });
    },

    async createMultipart({ bucket, key, contentType }) {
      const created = await mapped(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }), readBound()));
      return created.UploadId!;
    },

    presignUploadPart({ bucket, key, uploadId, partNumber }, ttlSeconds) {
      return urls.sign({ method: 'PUT', bucket, key, query: { partNumber: String(partNumber), uploadId }, ttlSeconds });
    },

    async listParts(bucket, key, uploadId) {
      const parts: StoredPart[] = [];
      let marker: string | undefined;
      try {
        for (;;) {
          const page = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }), readBound());
          for (const part of page.Parts ?? []) parts.push({ partNumber: part.PartNumber!, etag: part.ETag!, size: part.Size ?? 0 });
          if (page.IsTruncated !== true || !page.NextPartNumberMarker) return parts;
          marker = page.NextPartNumberMarker;
        }
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchUpload') return undefined;
        throw storageError(error);
      }
    },

    async deleteObjects(bucket, keys) {
      if (keys.length === 0) return;
      const answer = await mapped(s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((key) => ({ Key: key })), Quiet: true } }), readBound()));
      const failed = answer.Errors ?? [];
      if (failed.length > 0) throw new StorageUnavailable(`the object store did not delete ${failed.length} object(s): ${failed[0]!.Code ?? 'error'}`);
    },

    async completeMultipart({ bucket, key, uploadId, parts, size }) {
      const MultipartUpload = { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) };
      try {
        await patientS3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload }), workBound(size));
        return true;
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (name === 'NoSuchUpload') return false;
        if (REFUSED_PARTS.has(name)) throw new InvalidRequest(`the store refused the parts (${name}): ${(error as Error).message}`);
        throw storageError(error);
      }
    },

    async readHead(bucket, key, bytes) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${bytes - 1}` }), readBound());
        const head = Buffer.from(await object.Body!.transformToByteArray());
        // "bytes 0-63/12345": the whole size follows the slash.
        const size = Number(/\/(\d+)$/.exec(object.ContentRange ?? '')?.[1] ?? head.length);
        return { head, size };
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'NoSuchKey') return undefined;
        // The only object no range fits: an empty one.
        if (name === 'InvalidRange') return { head: Buffer.alloc(0), size: 0 };
        throw storageError(error);
      }
    },

    async copy({ bucket, from, to, size, contentType, metadata }) {
      const source = `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
      const copy = new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source, ContentType: contentType, Metadata: metadata ?? {}, MetadataDirective: 'REPLACE' });
      await mapped(patientS3.send(copy, workBound(size)));
    },

    async remove(bucket, key) {
      try {
        await removeUpload(bucket, key);
      } catch (error) {
        // The bucket, and all in it, is gone.
        if ((error as { name?: string }).name === 'NoSuchBucket') return;
        throw storageError(error);
      }
    },

    close() {
      closed.abort();
      s3.destroy();
      patientS3.destroy();
    },
  };
}
