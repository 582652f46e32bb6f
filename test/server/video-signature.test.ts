// An upload's type is decided by its first bytes (file-type): real containers written by ffmpeg are
// recognised and stored under a suffix the trigger fires on; images and audio in the same boxes
// (AVIF, HEIC, M4A), other images and anything else are not videos, whatever their name.
import t from 'tap';
import { open } from 'node:fs/promises';
import { NotAVideo } from '../../src/domain/errors.js';
import { VIDEO_SUFFIXES } from '../../src/domain/video-layout.js';
import { SNIFF_BYTES, sniffVideo } from '../../src/server/videos/video-signature.js';
import { tempDir } from '../helpers/local-store.js';
import { heicHeader, makeNonVideo, makeVideo, mp4Lookalike } from '../helpers/videos.js';

async function head(path: string): Promise<Buffer> {
  const file = await open(path);
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

t.test('containers ffmpeg writes are recognised by content, each under a suffix the trigger fires on', async (t) => {
  const dir = await tempDir(t);
  const cases = [
    { name: 'a.mp4', type: { contentType: 'video/mp4', extension: '.mp4' } },
    { name: 'a.mov', type: { contentType: 'video/quicktime', extension: '.mov' } },
    { name: 'a.m4v', type: { contentType: 'video/x-m4v', extension: '.m4v' } },
    { name: 'a.3gp', type: { contentType: 'video/3gpp', extension: '.mp4' } },
    { name: 'a.webm', codec: 'vp9' as const, type: { contentType: 'video/webm', extension: '.webm' } },
    { name: 'a.mkv', type: { contentType: 'video/matroska', extension: '.mkv' } },
    { name: 'a.avi', type: { contentType: 'video/vnd.avi', extension: '.avi' } },
  ];
  for (const { name, codec, type } of cases) {
    const path = await makeVideo(dir, { name, seconds: 0.2, width: 64, height: 36, codec });
    const found = await sniffVideo(await head(path));
    t.same(found, type, name);
    t.ok((VIDEO_SUFFIXES as readonly string[]).includes(found.extension), `${name}: the trigger fires on ${found.extension}`);
  }
  t.same(await sniffVideo(mp4Lookalike(64)), { contentType: 'video/mp4', extension: '.mp4' }, 'a file shorter than the sample is sniffed whole');
});

t.test('images and audio in ISO-BMFF boxes, other images and anything else are not videos', async (t) => {
  const dir = await tempDir(t);
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(32)]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['an AVIF still (ffmpeg)', await head(await makeNonVideo(dir, 'avif')), /image\/avif/],
    ['a PNG (ffmpeg)', await head(await makeNonVideo(dir, 'png')), /image\/png/],
    ['M4A audio (ffmpeg)', await head(await makeNonVideo(dir, 'm4a')), /audio\/x-m4a/],
    ['a HEIC header', heicHeader(), /image\/heic/],
    ['a JPEG', jpeg, /image\/jpeg/],
    ['a RIFF WAVE', wav, /audio\/wav/],
    ['text', Buffer.from('hello, this is plain text and no video'), /no known type/],
    ['nothing', Buffer.alloc(0), /no known type/],
    ['a cut ftyp header', Buffer.from('\0\0\0\x18fty'), /no known type/],
  ];
  for (const [what, bytes, detail] of cases) {
    const error = await sniffVideo(bytes).then(() => undefined, (e: unknown) => e);
    t.ok(error instanceof NotAVideo, `${what}: not a video`);
    t.match((error as Error).message, detail, `${what}: the detail says what it is`);
  }
});
