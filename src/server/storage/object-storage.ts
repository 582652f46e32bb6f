// The one adapter between the server and an S3 API (AWS or the local store): streamed multipart
// uploads, listings, presigned GETs. Routes and services never build an S3 command; an
// unreachable store becomes StorageUnavailable (503), never a raw SDK error.
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client, type S3Connection } from '../../domain/s3-connection.js';
import { DomainError, StorageUnavailable } from '../../domain/errors.js';

export type StoredObject = { key: string; size: number; lastModified: Date };

export type ObjectStorage = {
  /** Streams `body` into `bucket/key`; when it fails, the multipart upload is aborted before this rejects. */
  /** `metadata` becomes the object's user metadata (`x-amz-meta-<name>`). */
  upload(input: { bucket: string; key: string; body: Readable; contentType: string; partSize: number; metadata?: Record<string, string> }): Promise<void>;
  list(bucket: string, options: { prefix: string; startAfter?: string; maxKeys?: number }): Promise<{ objects: StoredObject[]; truncated: boolean }>;
  /** The parsed JSON body of an object, or undefined when it does not exist. */
  readJson(bucket: string, key: string): Promise<unknown>;
  presignGet(bucket: string, key: string, expiresInSeconds: number): Promise<string>;
  close(): void;
};

/** Parts in flight per upload: memory stays near (UPLOAD_QUEUE_SIZE + 1) × partSize whatever the file size. */
const UPLOAD_QUEUE_SIZE = 2;
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'UND_ERR_SOCKET']);

/** Leaves domain errors alone; turns "the store cannot be reached or failed" into StorageUnavailable. */
export function storageError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const e = error as { name?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const code = e.code ?? e.cause?.code;
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

export function createObjectStorage(connection: S3Connection): ObjectStorage {
  const s3: S3Client = createS3Client(connection);
  unsignedPartPayloads(s3);
  return {
    async upload({ bucket, key, body, contentType, partSize, metadata }) {
      const upload = new Upload({
        client: s3,
        params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata },
        partSize,
        queueSize: UPLOAD_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      await mapped(upload.done());
    },

    async list(bucket, { prefix, startAfter, maxKeys }) {
      const page = await mapped(s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, StartAfter: startAfter, MaxKeys: maxKeys })));
      return {
        objects: (page.Contents ?? []).map((object) => ({ key: object.Key!, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) })),
        truncated: page.IsTruncated === true,
      };
    },

    async readJson(bucket, key) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse(await object.Body!.transformToString());
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        if (error instanceof SyntaxError) return { reason: 'unreadable error record' };
        throw storageError(error);
      }
    },

    presignGet(bucket, key, expiresInSeconds) {
      return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresInSeconds });
    },

    close() {
      s3.destroy();
    },
  };
}
