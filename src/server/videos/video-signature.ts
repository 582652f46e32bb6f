// Recognises a video container from its first bytes (ISO-BMFF `ftyp`, EBML, RIFF AVI), so an
// upload's type is decided by content. Never trusts the client's file name or Content-Type.

export type VideoType = { contentType: string; extension: string };

/** How many leading bytes the signature needs (the EBML DocType sits within them). */
export const SIGNATURE_BYTES = 64;

const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

function ascii(head: Buffer, start: number, end: number): string {
  return head.subarray(start, end).toString('latin1');
}

function isoMediaType(brand: string): VideoType {
  if (brand === 'qt  ') return { contentType: 'video/quicktime', extension: '.mov' };
  if (brand.startsWith('M4V')) return { contentType: 'video/x-m4v', extension: '.m4v' };
  return { contentType: 'video/mp4', extension: '.mp4' };
}

export function sniffVideoType(head: Buffer): VideoType | undefined {
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') return isoMediaType(ascii(head, 8, 12));
  if (head.length >= 4 && head.subarray(0, 4).equals(EBML_MAGIC)) {
    return head.includes('webm', 4, 'latin1')
      ? { contentType: 'video/webm', extension: '.webm' }
      : { contentType: 'video/x-matroska', extension: '.mkv' };
  }
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'AVI ') {
    return { contentType: 'video/x-msvideo', extension: '.avi' };
  }
  return undefined;
}
