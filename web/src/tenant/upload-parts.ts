// The arithmetic of a direct upload: which files go straight to the bucket, the byte range of each
// part, which parts a resumed upload must still send, and the list completion names. Pure (no DOM,
// no I/O) so it is tested directly; it never trusts a part this browser did not see answered.
import type { ReceivedPart } from '../api-types.js';

/** Files larger than this go straight to the bucket in parts (POST /uploads); smaller ones stream through POST /videos. */
export const DIRECT_UPLOAD_THRESHOLD = 64 * 1024 * 1024;

export const isDirectUpload = (size: number) => size > DIRECT_UPLOAD_THRESHOLD;

/** Part `partNumber` is the file's bytes [start, end). */
export type PartRange = { partNumber: number; start: number; end: number };

/** Parts of `partSize` bytes, the last one shorter; one part for an empty file, as the API counts them. */
export function partRanges(size: number, partSize: number): PartRange[] {
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, index) => ({ partNumber: index + 1, start: index * partSize, end: Math.min(size, (index + 1) * partSize) }));
}

/** Part number → the ETag its PUT answered, as this browser saw it (kept across reloads). */
export type ConfirmedParts = Record<number, string>;

export type ResumePlan = {
  /** Parts already in the store whole: their ETags, for completion. */
  kept: ConfirmedParts;
  /** Parts to PUT (again), in order. */
  send: number[];
};

/**
 * A part counts as sent only when the store holds it with the size it should have and the ETag this
 * browser saw its PUT answered. The local store keeps a part whose PUT was cut off mid-body as if it
 * had arrived whole (versity/versitygw#2414): a part the store lists but this browser never saw
 * answered is sent again, as the README tells every client.
 */
export function resumePlan(ranges: PartRange[], received: ReceivedPart[], confirmed: ConfirmedParts): ResumePlan {
  const held = new Map(received.map((part) => [part.partNumber, part]));
  const kept: ConfirmedParts = {};
  const send: number[] = [];
  for (const range of ranges) {
    const part = held.get(range.partNumber);
    if (part && part.size === range.end - range.start && confirmed[range.partNumber] === part.etag) kept[range.partNumber] = part.etag;
    else send.push(range.partNumber);
  }
  return { kept, send };
}

/** Completion's body: every part 1 to N in order with its ETag; throws when one is missing (never completes a file with a hole). */
export function completionParts(count: number, etags: ConfirmedParts): Array<{ partNumber: number; etag: string }> {
  return Array.from({ length: count }, (_, index) => {
    const etag = etags[index + 1];
    if (etag === undefined) throw new Error(`part ${index + 1} of ${count} has not been sent`);
    return { partNumber: index + 1, etag };
  });
}

/** Which file an upload was started from: the same name, size and modification time (as tus clients fingerprint a file). */
export type FileIdentity = { fileName: string; size: number; lastModified: number };

/** Why `file` cannot resume the upload of `started`, or undefined when it is the same file. */
export function resumeMismatch(started: FileIdentity, file: { name: string; size: number; lastModified: number }): string | undefined {
  if (file.name !== started.fileName) return `This is ${file.name}; the upload was started from ${started.fileName}.`;
  if (file.size !== started.size) return `${file.name} has ${file.size} bytes; the upload was started from a file of ${started.size} bytes.`;
  if (file.lastModified !== started.lastModified) return `${file.name} has changed since the upload started: start a new upload instead.`;
  return undefined;
}
