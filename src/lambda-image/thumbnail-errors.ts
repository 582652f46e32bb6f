// Why a thumbnail could not be made, as types: the handler records the final ones in error.json
// and lets the transient ones fail the invocation so it is retried. Reasons never carry the input URL.

/** The video itself cannot be decoded: retrying will not help. */
export class VideoUndecodable extends Error {
  constructor(readonly reason: string) {
    super(`the video cannot be decoded: ${reason}`);
  }
}

/** Decoding took longer than its budget: treated as final, so a pathological video cannot loop. */
export class ThumbnailTimedOut extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The source could not be read (network, permissions, expired link): worth a retry. */
export class SourceUnreadable extends Error {
  constructor(readonly reason: string) {
    super(`the video could not be read: ${reason}`);
  }
}

export function isFinalThumbnailError(error: unknown): error is VideoUndecodable | ThumbnailTimedOut {
  return error instanceof VideoUndecodable || error instanceof ThumbnailTimedOut;
}
