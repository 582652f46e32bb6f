// The event types a webhook endpoint can be sent, each with what it means, for the console's form.
// Typed over the API's own list: a type added there fails the build here until it is described.
import type { WebhookEventType } from '../api-types.js';

export const EVENT_TYPES: Record<WebhookEventType, string> = {
  'video.ready': 'a video has all its thumbnails',
  'video.failed': 'a video could not be read',
  'video.deleted': 'a video and its outputs were deleted',
  'tenant.ready': 'the tenant became ready',
  'tenant.failed': 'the tenant failed',
  'operation.succeeded': 'an operation on the tenant succeeded',
  'operation.failed': 'an operation on the tenant failed',
};

