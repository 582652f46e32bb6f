// An upload's type is decided by its first bytes: real containers written by ffmpeg are
// recognised, anything else (whatever its name) is not.
import t from 'tap';
import { open } from 'node:fs/promises';
import { SIGNATURE_BYTES, sniffVideoType } from '../../src/server/videos/video-signature.js';
import { tempDir } from '../helpers/local-store.js';
import { makeVideo } from '../helpers/videos.js';

async function head(path: string): Promise<Buffer> {
  const file = await open(path);
  try {
    const buffer = Buffer.alloc(SIGNATURE_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SIGNATURE_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

t.test('containers ffmpeg writes are recognised by content', async (t) => {
  const dir = await tempDir(t);
  const cases = [
    { name: 'a.mp4', type: { contentType: 'video/mp4', extension: '.mp4' } },
    { name: 'a.mov', type: { contentType: 'video/quicktime', extension: '.mov' } },
    { name: 'a.webm', codec: 'vp9' as const, type: { contentType: 'video/webm', extension: '.webm' } },
    { name: 'a.mkv', type: { contentType: 'video/x-matroska', extension: '.mkv' } },
    { name: 'a.avi', type: { contentType: 'video/x-msvideo', extension: '.avi' } },
  ];
  for (const { name, codec, type } of cases) {
    const path = await makeVideo(dir, { name, seconds: 0.2, width: 64, height: 36, codec });
    t.same(sniffVideoType(await head(path)), type, name);
  }
});

t.test('anything else is not a video', async (t) => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')]);
  for (const [what, bytes] of [
    ['text', Buffer.from('hello, this is plain text and no video')],
    ['a JPEG', jpeg],
    ['a RIFF WAVE', wav],
    ['nothing', Buffer.alloc(0)],
    ['a cut ftyp header', Buffer.from('\0\0\0\x18fty')],
  ] as const) {
    t.equal(sniffVideoType(bytes), undefined, what);
  }
});
