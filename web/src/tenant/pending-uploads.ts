// The direct uploads this browser started for a tenant and has not finished, kept in localStorage
// so a page reload (or a closed tab) can resume them: the upload's ids, the file's identity, the
// ETag of every part seen answered and the parts' presigned URLs (they expire on their own). It
// never keeps the token, and drops an upload once it is past its expiry.
import type { ConfirmedParts, FileIdentity } from './upload-parts.js';

const KEY_PREFIX = 'thumbforge.uploads.';

export type PendingUpload = FileIdentity & {
  uploadId: string;
  videoId: string;
  partSize: number;
  expiresAt: string;
  confirmed: ConfirmedParts;
  /** Part number → a presigned PUT URL for it, the newest the API gave. */
  urls: Record<number, string>;
};

type Stored = Record<string, PendingUpload>;

function read(tenantId: string): Stored {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY_PREFIX + tenantId) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Stored) : {};
  } catch {
    return {};
  }
}

function write(tenantId: string, uploads: Stored): void {
  if (Object.keys(uploads).length === 0) localStorage.removeItem(KEY_PREFIX + tenantId);
  else localStorage.setItem(KEY_PREFIX + tenantId, JSON.stringify(uploads));
}

/** The tenant's unfinished uploads, oldest first; expired ones are forgotten (the service has aborted them). */
export function pendingUploads(tenantId: string, now = Date.now()): PendingUpload[] {
  const stored = read(tenantId);
  const live = Object.values(stored).filter((upload) => Date.parse(upload.expiresAt) > now);
  if (live.length !== Object.keys(stored).length) write(tenantId, Object.fromEntries(live.map((upload) => [upload.uploadId, upload])));
  return live.toSorted((a, b) => a.uploadId.localeCompare(b.uploadId));
}

export function savePendingUpload(tenantId: string, upload: PendingUpload): void {
  write(tenantId, { ...read(tenantId), [upload.uploadId]: upload });
}

export function forgetPendingUpload(tenantId: string, uploadId: string): void {
  const { [uploadId]: _gone, ...rest } = read(tenantId);
  write(tenantId, rest);
}
