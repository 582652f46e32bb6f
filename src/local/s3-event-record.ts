// Turns an object the local store reports (or the sweep finds, or a regeneration names, on either
// target) into the S3 event record AWS would deliver: same shape, eventName without "s3:", key
// URL-encoded. It never reads the store or the object.
import type { S3EventRecord } from 'aws-lambda';
import { encodeS3EventKey } from '../lambda-image/s3-event-key.js';

export type StoredObject = { bucket: string; key: string; size?: number; eTag?: string };

/** The event name of a video the service sends the thumbnailer on its own (a reconcile, a regeneration): what its upload was. */
export const STORED_VIDEO_EVENT = 'ObjectCreated:Put';

/** `sender` names who made the record (S3 names the principal and the notification configuration there). */
export function s3EventRecord(object: StoredObject, eventName: string, region: string, sender = 'thumbforge-local'): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName: eventName.replace(/^s3:/, ''),
    userIdentity: { principalId: sender },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: sender,
      bucket: { name: object.bucket, ownerIdentity: { principalId: sender }, arn: `arn:aws:s3:::${object.bucket}` },
      object: {
        key: encodeS3EventKey(object.key),
        size: object.size ?? 0,
        eTag: (object.eTag ?? '').replace(/"/g, ''),
        sequencer: Date.now().toString(16).toUpperCase(),
      },
    },
  };
}
