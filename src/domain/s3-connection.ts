// How every part of thumbforge reaches an S3 API: AWS itself (no endpoint) or the local object
// store (an endpoint with path-style addressing). One factory, so no caller builds a client twice.
import { S3Client } from '@aws-sdk/client-s3';

export type S3Connection = {
  region: string;
  /** Absent on AWS; the local store's http://127.0.0.1:<port> otherwise. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

export type S3ClientOptions = {
  /**
   * How long a connection may take to open, and a socket may stay silent (no byte either way),
   * before the request fails with a TimeoutError. A per-socket idle bound, so a long streamed
   * upload that keeps moving is never cut short.
   */
  silenceTimeoutMs?: number;
};

export function createS3Client(connection: S3Connection, options: S3ClientOptions = {}): S3Client {
  const { silenceTimeoutMs } = options;
  return new S3Client({
    region: connection.region,
    ...(silenceTimeoutMs ? { requestHandler: { connectionTimeout: silenceTimeoutMs, socketTimeout: silenceTimeoutMs } } : {}),
    ...(connection.endpoint ? { endpoint: connection.endpoint, forcePathStyle: true } : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    // Checksums only where S3 requires them: streamed bodies then go out as plain bytes,
    // not in aws-chunked framing, which keeps uploads byte-exact on any S3-compatible store.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
