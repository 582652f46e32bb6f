// The multipart part size the upload path uses for a given size limit: S3 takes parts of at
// least 5 MiB and at most 10,000 of them, so every allowed upload must fit.
import t from 'tap';
import { uploadPartSize } from '../../src/server/videos/video-service.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

t.test('parts are whole MiB, at least 5 MiB, and the limit fits in 10,000 of them', async (t) => {
  for (const limit of [1, 5 * MiB, 12 * MiB, 2 * GiB, 50 * GiB, 50 * GiB + 1, 5 * 1024 * GiB]) {
    const part = uploadPartSize(limit);
    t.ok(part >= 5 * MiB, `${limit}: ${part} is at least 5 MiB`);
    t.equal(part % MiB, 0, `${limit}: whole MiB`);
    t.ok(Math.ceil(limit / part) <= 10_000, `${limit}: at most 10,000 parts`);
  }
});

t.test('the part is the smallest that fits: 5 MiB up to 50,000 MiB, then it grows by the MiB', async (t) => {
  t.equal(uploadPartSize(2 * GiB), 5 * MiB, 'the default limit uses the minimum');
  t.equal(uploadPartSize(50_000 * MiB), 5 * MiB, '10,000 parts of 5 MiB exactly');
  t.equal(uploadPartSize(50_000 * MiB + 1), 6 * MiB, 'one byte more needs a larger part');
  t.equal(uploadPartSize(5 * 1024 * GiB), 525 * MiB, "S3's 5 TiB object limit");
});
