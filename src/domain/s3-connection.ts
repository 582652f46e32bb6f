// How every part of thumbforge reaches an S3 API: AWS itself (no endpoint) or the local object
// store (an endpoint with path-style addressing). One factory, so no caller builds a client twice.
import { S3Client } from '@aws-sdk/client-s3';

export type S3Connection = {
  region: string;
  /** Absent on AWS; the local store's http://127.0.0.1:<port> otherwise. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    region: connection.region,
    ...(connection.endpoint ? { endpoint: connection.endpoint, forcePathStyle: true } : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    // Checksums only where S3 requires them: streamed bodies then go out as plain bytes,
    // not in aws-chunked framing, which keeps uploads byte-exact on any S3-compatible store.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
