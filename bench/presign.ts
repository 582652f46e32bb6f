// Benchmark (not a test): presigning a page of 100 thumbnail links, the way a read answers, with
// the SDK's getSignedUrl (its whole middleware stack per link, as the service did) against the
// service's url-signer (@smithy/signature-v4 on a prepared request, the signing key cached). Pure
// computation: static credentials, no request is sent. Median and p95 of the page time, and ratios.
// Run: npm run bench:presign   (writes bench/results/presign.md)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createS3Client, type S3Connection } from '../src/domain/s3-connection.js';
import { projectRoot } from '../src/domain/toolchain.js';
import { createUrlSigner } from '../src/server/storage/url-signer.js';

const LINKS = 100;
const ROUNDS = 200;
const WARM_UP = 20;
const TTL = 3600;
const RESULT = join(projectRoot, 'bench/results/presign.md');
const credentials = { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'bench/secret/key/of/forty/characters/xx' };
const TARGETS: Array<[string, S3Connection]> = [
  ['aws (eu-west-1, virtual host)', { region: 'eu-west-1', credentials }],
  ['local store (path style)', { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', credentials }],
];
const keys = Array.from({ length: LINKS }, (_, i) => `thumbnails/01J${String(i).padStart(23, '0')}/w320.jpg`);

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

/** Page times (ms) of `sign` over the 100 keys, signed concurrently as a read does. */
async function pageTimes(sign: (key: string) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < WARM_UP + ROUNDS; round++) {
    const start = performance.now();
    await Promise.all(keys.map(sign));
    if (round >= WARM_UP) times.push(performance.now() - start);
  }
  return times;
}

async function main() {
  const rows: string[] = [];
  for (const [name, connection] of TARGETS) {
    const s3 = createS3Client(connection);
    const Bucket = 'acme-123456789012-eu-west-1';
    const signer = createUrlSigner(connection, { credentials: s3.config.credentials });
    const sdk = await pageTimes((Key) => getSignedUrl(s3, new GetObjectCommand({ Bucket, Key }), { expiresIn: TTL }));
    const ours = await pageTimes((key) => signer.sign({ method: 'GET', bucket: Bucket, key, ttlSeconds: TTL }));
    s3.destroy();
    const [sdkMedian, oursMedian] = [quantile(sdk, 0.5), quantile(ours, 0.5)];
    rows.push(
      `| ${name} | ${ms(sdkMedian)} | ${ms(quantile(sdk, 0.95))} | ${ms(oursMedian)} | ${ms(quantile(ours, 0.95))} | **${(sdkMedian / oursMedian).toFixed(1)}×** |`,
    );
    console.log(rows.at(-1));
  }
  const report = [
    '# Presigning 100 links: getSignedUrl vs url-signer',
    '',
    `A page of ${LINKS} GET links signed concurrently (as GET /thumbnails?limit=100 does), ${ROUNDS} rounds after ${WARM_UP} of warm-up, static credentials, no request sent.`,
    'getSignedUrl: the SDK presigner, its middleware stack per link (what the service used). url-signer: `@smithy/signature-v4` presigning a prepared request, signing key cached per credentials and day, signing time aligned to a quarter of the TTL.',
    '',
    '| target | getSignedUrl median | getSignedUrl p95 | url-signer median | url-signer p95 | getSignedUrl / url-signer |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Machine: ${process.platform} ${process.arch}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
  ].join('\n');
  await writeFile(RESULT, report);
  console.log(`written to ${RESULT}`);
}

await main();
