// The tenant trigger's notification filters, defined once for both targets: the aws program's
// BucketNotification and the local trigger registration declare exactly these. Never add a
// filter that matches `thumbnails/`, or outputs would re-trigger the thumbnailer.
import { VIDEO_PREFIX, VIDEO_SUFFIXES } from '../domain/video-layout.js';

export const OBJECT_CREATED_EVENTS = ['s3:ObjectCreated:*'];

/** One S3 filter per suffix, as S3 allows a single prefix/suffix pair per notification entry. */
export function videoTriggerFilters(): Array<{ prefix: string; suffix: string }> {
  return VIDEO_SUFFIXES.map((suffix) => ({ prefix: VIDEO_PREFIX, suffix }));
}
