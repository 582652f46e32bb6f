// The errors a user can meet, as types. They say nothing of HTTP: the server's one error
// handler maps each kind to a status code, so no route hand-writes one.

export type DomainErrorKind =
  | 'invalid-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media'
  | 'too-many-requests'
  | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** A short human title for the problem document. */
  abstract readonly title: string;
  /** When trying again may succeed: in how many seconds (a refusal for now, not for good). */
  readonly retryAfterSeconds?: number;
}

export class TenantNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Tenant not found';
  constructor(readonly tenantId: string) {
    super(`tenant "${tenantId}" does not exist`);
  }
}

export class TenantExists extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Tenant already exists';
  constructor(readonly tenantId: string) {
    super(`tenant "${tenantId}" already exists`);
  }
}

export class TenantNotReady extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Tenant not ready';
  constructor(readonly tenantId: string, readonly status: string) {
    super(`tenant "${tenantId}" is ${status}, not ready`);
  }
}

export class OperationNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Operation not found';
  constructor(readonly tenantId: string, readonly operationId: string) {
    super(`tenant "${tenantId}" has no operation "${operationId}"`);
  }
}

export class KeyNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Key not found';
  constructor(readonly tenantId: string, readonly keyId: string) {
    super(`tenant "${tenantId}" has no live key "${keyId}"`);
  }
}

export class WebhookEndpointNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Webhook endpoint not found';
  constructor(readonly tenantId: string, readonly endpointId: string) {
    super(`tenant "${tenantId}" has no webhook endpoint "${endpointId}"`);
  }
}

export class WebhookDeliveryNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Webhook delivery not found';
  constructor(readonly endpointId: string, readonly deliveryId: string) {
    super(`webhook endpoint "${endpointId}" has no delivery "${deliveryId}"`);
  }
}

/** An endpoint URL the service will not call: not https (nor loopback http on the local target), or an address it may not reach. */
export class WebhookUrlRefused extends DomainError {
  readonly kind = 'invalid-request';
  readonly title = 'Webhook URL refused';
}

export class OperationNotAllowed extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Operation not allowed';
}

/** Another engine run (another replica, an operator) holds the tenant's stack: try again later. */
export class StackBusy extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Stack busy';
  constructor(readonly tenantId: string) {
    super(`the stack of tenant "${tenantId}" is busy with another operation; try again shortly`);
  }
}

export class VideoNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Video not found';
  constructor(readonly videoId: string) {
    super(`video "${videoId}" does not exist`);
  }
}

/** The thumbnailer has a run on its way for the video (its upload's, or a regeneration's): another waits until it ends. */
export class VideoPending extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Video pending';
  constructor(readonly videoId: string) {
    super(`video "${videoId}" is pending: its thumbnails are being made; regenerate it once it is ready or failed`);
  }
}

export class NoVideoFile extends DomainError {
  readonly kind = 'invalid-request';
  readonly title = 'No video file';
}

export class NotAVideo extends DomainError {
  readonly kind = 'unsupported-media';
  readonly title = 'Not a video';
}

export class UploadTooLarge extends DomainError {
  readonly kind = 'too-large';
  readonly title = 'Upload too large';
  constructor(readonly limitBytes: number) {
    super(`the upload exceeds the limit of ${limitBytes} bytes`);
  }
}

export class UploadNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Upload not found';
  constructor(readonly uploadId: string, why = 'does not exist') {
    super(`upload "${uploadId}" ${why}`);
  }
}

/** A completed direct upload is a video now: it is deleted as one (the upload itself stays completed). */
export class UploadCompleted extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Upload completed';
  constructor(readonly uploadId: string, readonly videoId: string) {
    super(`upload "${uploadId}" is completed: it is video "${videoId}" now`);
  }
}

/** The store holds neither a direct upload's parts nor its object: an earlier completion is most likely still joining them. */
export class UploadCompleting extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Upload completing';
  override readonly retryAfterSeconds = 2;
  constructor(readonly uploadId: string) {
    super(`upload "${uploadId}" is being completed: the store is still joining its parts for an earlier request; retry shortly`);
  }
}

/** The tenant holds as many open direct uploads as it may: one must complete, be deleted or expire first. */
export class TooManyOpenUploads extends DomainError {
  readonly kind = 'too-many-requests';
  readonly title = 'Too many open uploads';
  constructor(readonly limit: number, override readonly retryAfterSeconds: number) {
    super(`the tenant has ${limit} open direct uploads, the most it may hold; complete or delete one, or retry in ${retryAfterSeconds} s`);
  }
}

/** A caller over its rate, or a tenant with as many uploads or event streams open as it may hold: try again after a while. */
export class TooManyRequests extends DomainError {
  readonly kind = 'too-many-requests';
  readonly title = 'Too Many Requests';
  constructor(message: string, override readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class StorageUnavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly title = 'Storage unavailable';
}

/** The tenant's thumbnailer function could not be asked to run (aws: the invoke failed): nothing changed, retry. */
export class ThumbnailerUnavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly title = 'Thumbnailer unavailable';
}

/** The replica has not finished starting (or its database is unreachable): retry soon, maybe elsewhere. */
export class ServiceStarting extends DomainError {
  readonly kind = 'unavailable';
  readonly title = 'Service unavailable';
}

export class Unauthorized extends DomainError {
  readonly kind = 'unauthorized';
  readonly title = 'Unauthorized';
}

export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
  readonly title = 'Forbidden';
}

/** A request the API cannot act on (a bad cursor, a missing `?tenant=`), beyond schema validation. */
export class InvalidRequest extends DomainError {
  readonly kind = 'invalid-request';
  readonly title = 'Bad Request';
}

export class RolloutNotFound extends DomainError {
  readonly kind = 'not-found';
  readonly title = 'Rollout not found';
  constructor(readonly rolloutId: string) {
    super(`rollout "${rolloutId}" does not exist`);
  }
}

/** One image rollout at a time: a second would race the first for the same tenants. */
export class RolloutRunning extends DomainError {
  readonly kind = 'conflict';
  readonly title = 'Rollout running';
  constructor(readonly rolloutId: string) {
    super(`rollout "${rolloutId}" is still running; follow it with GET /rollouts/${rolloutId}, and start another once it has finished`);
  }
}
