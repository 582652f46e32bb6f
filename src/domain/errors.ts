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

/** A caller over its rate, or a tenant with as many uploads or event streams open as it may hold: try again after a while. */
export class TooManyRequests extends DomainError {
  readonly kind = 'too-many-requests';
  readonly title = 'Too Many Requests';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class StorageUnavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly title = 'Storage unavailable';
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
