// Turns an object the local store reports (or the sweep finds) into the S3 event record AWS would
// deliver: same shape, eventName without "s3:", key URL-encoded. It never reads the store or the object.
import type { S3EventRecord } from 'aws-lambda';
import { encodeS3EventKey } from '../lambda-image/s3-event-key.js';

export type StoredObject = { bucket: string; key: string; size?: number; eTag?: string };

export function s3EventRecord(object: StoredObject, eventName: string, region: string): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName: eventName.replace(/^s3:/, ''),
    userIdentity: { principalId: 'thumbforge-local' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'thumbforge-local',
      bucket: { name: object.bucket, ownerIdentity: { principalId: 'thumbforge-local' }, arn: `arn:aws:s3:::${object.bucket}` },
      object: {
        key: encodeS3EventKey(object.key),
        size: object.size ?? 0,
        eTag: (object.eTag ?? '').replace(/"/g, ''),
        sequencer: Date.now().toString(16).toUpperCase(),
      },
    },
  };
}
