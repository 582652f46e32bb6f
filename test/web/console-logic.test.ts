// The console's pure logic: engine events to progress and log lines, thumbnail pages to gallery
// tiles, tenant keys to tenant ids. The DOM parts are covered by the end-to-end test.
import t from 'tap';
import { advance, describe, NO_PROGRESS, type EngineEvent } from '../../web/src/engine-progress.js';
import { thumbnailTiles } from '../../web/src/thumbnail-tiles.js';
import { tenantIdOfKey } from '../../web/src/tenant-key.js';
import type { ThumbnailItem } from '../../web/src/api-types.js';

const urn = (type: string, name: string) => `urn:pulumi:acme::thumbforge::${type}::${name}`;
const step = (op: string, type: string, name: string) => ({ metadata: { op, type, urn: urn(type, name) } });

t.test('engine events become progress and log lines', async (t) => {
  const events: EngineEvent[] = [
    { diagnosticEvent: { message: 'debugging', severity: 'debug' } },
    { resourcePreEvent: { ...step('create', 'pulumi:pulumi:Stack', 'thumbforge-acme'), planning: true } },
    { resourcePreEvent: step('create', 'pulumi:pulumi:Stack', 'thumbforge-acme') },
    { resourcePreEvent: step('create', 'thumbforge:local:Bucket', 'bucket') },
    { resOutputsEvent: step('create', 'thumbforge:local:Bucket', 'bucket') },
    { resourcePreEvent: step('create', 'thumbforge:local:Function', 'thumbnailer') },
    { resOpFailedEvent: step('create', 'thumbforge:local:Function', 'thumbnailer') },
    { diagnosticEvent: { message: '<{%fg 1%}>boom\u001b[0m\n', severity: 'error' } },
    { summaryEvent: { durationSeconds: 3, resourceChanges: { create: 1, same: 0 } } },
    { cancelEvent: {} },
  ];
  const progress = events.reduce(advance, NO_PROGRESS);
  t.same(progress, { started: 3, finished: 1, failed: 1 }, 'planning steps are not counted');
  t.same(events.map(describe).filter(Boolean), [
    'creating pulumi:pulumi:Stack thumbforge-acme',
    'creating thumbforge:local:Bucket bucket',
    'created thumbforge:local:Bucket bucket',
    'creating thumbforge:local:Function thumbnailer',
    'failed to create thumbforge:local:Function thumbnailer',
    'error: boom',
    'finished in 3s: 1 created',
  ]);
  t.equal(advance(NO_PROGRESS, { cancelEvent: {} }), NO_PROGRESS, 'other events leave progress alone');
  t.equal(describe({ cancelEvent: {} }), undefined, 'the end marker every operation sends is not a cancellation');
});

t.test('a page of thumbnails becomes one tile per video, in API order', async (t) => {
  const item = (videoId: string, width: number): ThumbnailItem => ({
    videoId,
    width,
    key: `thumbnails/${videoId}/w${width}.jpeg`,
    url: `http://store/${videoId}/${width}`,
    expiresAt: '2030-01-01T00:00:00Z',
    size: width * 10,
    lastModified: '2030-01-01T00:00:00Z',
  });
  const tiles = thumbnailTiles([item('B', 640), item('B', 160), item('B', 320), item('A', 120), item('A', 200)]);
  t.same(tiles.map((tile) => tile.videoId), ['B', 'A']);
  t.equal(tiles[0]?.preview.width, 320, 'the smallest size wide enough for a tile');
  t.same(tiles[0]?.sizes.map((size) => size.width), [160, 320, 640]);
  t.equal(tiles[1]?.preview.width, 200, 'the largest when none is wide enough');
  t.same(thumbnailTiles([]), []);
});

t.test('the tenant id is read from a tenant key only', async (t) => {
  t.equal(tenantIdOfKey('tf_acme-films_c2VjcmV0_x'), 'acme-films');
  t.equal(tenantIdOfKey('5b0f3c1e9a'), undefined, 'an admin token names no tenant');
  t.equal(tenantIdOfKey('tf_acme'), undefined);
  t.equal(tenantIdOfKey('tf__secret'), undefined);
});
