// Decides an upload's type from its first bytes with file-type, accepting only the containers the
// thumbnailer reads, each stored under a suffix the trigger fires on. Never trusts the client's
// file name or Content-Type, and never accepts an image or audio file in an ISO-BMFF box (HEIC, AVIF, M4A).
import { fileTypeFromBuffer } from 'file-type';
import { NotAVideo } from '../../domain/errors.js';
import type { VIDEO_SUFFIXES } from '../../domain/video-layout.js';

export type VideoType = { contentType: string; extension: (typeof VIDEO_SUFFIXES)[number] };

/** How many leading bytes sniffVideo needs: file-type's own sample size (its `reasonableDetectionSizeInBytes`). */
export const SNIFF_BYTES = 4100;

/**
 * file-type's extensions of the video containers ffmpeg decodes for the thumbnailer, and the suffix
 * each is stored under. 3GPP and F4V are MP4 files with another brand: they were stored as `.mp4`
 * before, and still are. Protected (DRM) brands such as M4P are left out: nothing can decode them.
 */
const THUMBNAILER_READS: Record<string, VideoType['extension']> = {
  mp4: '.mp4',
  f4v: '.mp4',
  '3gp': '.mp4',
  '3g2': '.mp4',
  m4v: '.m4v',
  mov: '.mov',
  webm: '.webm',
  mkv: '.mkv',
  avi: '.avi',
};

/** The type of a file whose first bytes (SNIFF_BYTES of them, or the whole file when shorter) are `head`; NotAVideo for anything else. */
export async function sniffVideo(head: Uint8Array): Promise<VideoType> {
  const found = await fileTypeFromBuffer(head);
  const extension = found && THUMBNAILER_READS[found.ext];
  if (!found || !extension) {
    const what = found ? `${found.mime} content` : 'content of no known type';
    throw new NotAVideo(`the file is not a video: ${what} (expected MP4/MOV/M4V/3GP, WebM/MKV or AVI)`);
  }
  return { contentType: found.mime, extension };
}
