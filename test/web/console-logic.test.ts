// The console's pure logic: engine events to progress and log lines, thumbnail pages to gallery
// tiles, tenant keys to tenant ids, the settings form to a `thumbnail` body and back, API errors to
// their field, preview plans, history entries and rollout counts in words. The DOM parts are
// covered by the end-to-end tests.
import t from 'tap';
import { DEFAULT_THUMBNAIL_SETTINGS, thumbnailSettingsSchema } from '../../src/domain/thumbnail-settings.js';
import { ApiError } from '../../web/src/api-client.js';
import { advance, describe, NO_PROGRESS, type EngineEvent } from '../../web/src/engine-progress.js';
import { canCancel, isUnfinished, runTime } from '../../web/src/operator/history-entry.js';
import { planChangesSomething, planSummary } from '../../web/src/operator/plan-summary.js';
import { rolloutCounts, rolloutDone } from '../../web/src/operator/rollout-summary.js';
import { fieldsOf, parseWidths, thumbnailOf, type SettingsFields } from '../../web/src/operator/settings-input.js';
import { problemField } from '../../web/src/problem-field.js';
import { thumbnailTiles } from '../../web/src/thumbnail-tiles.js';
import { tenantIdOfKey } from '../../web/src/tenant-key.js';
import type { Rollout, ThumbnailItem } from '../../web/src/api-types.js';

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

t.test('the settings form shows a tenant\'s settings and sends what was typed', async (t) => {
  const withExtras = thumbnailSettingsSchema.parse({ widths: [96, 160], format: 'webp', at: 12.5, storyboard: { intervalSeconds: 5 }, preview: { seconds: 2 } });
  const fields = fieldsOf(withExtras);
  t.same(fields, { widths: '96, 160', format: 'webp', frame: 'seconds', position: '12.5', storyboard: true, preview: true });
  t.same(thumbnailOf(fields, withExtras), { thumbnail: { widths: [96, 160], format: 'webp', at: 12.5, storyboard: withExtras.storyboard, preview: withExtras.preview } }, 'a storyboard and preview left on keep their options');
  t.same(thumbnailSettingsSchema.parse((thumbnailOf(fields, withExtras) as { thumbnail: unknown }).thumbnail), withExtras, 'sent back unchanged, they are the same settings');

  t.same(fieldsOf(DEFAULT_THUMBNAIL_SETTINGS), { widths: '320, 640', format: 'jpeg', frame: 'auto', position: '', storyboard: false, preview: false });
  t.same(fieldsOf({ ...DEFAULT_THUMBNAIL_SETTINGS, at: '7.5%' }), { ...fieldsOf(DEFAULT_THUMBNAIL_SETTINGS), frame: 'percent', position: '7.5' });

  const typed = (change: Partial<SettingsFields>) => thumbnailOf({ ...fieldsOf(DEFAULT_THUMBNAIL_SETTINGS), ...change }, DEFAULT_THUMBNAIL_SETTINGS);
  t.same(typed({ widths: ' 200,480  1080 ', frame: 'percent', position: '10' }), { thumbnail: { widths: [200, 480, 1080], format: 'jpeg', at: '10%' } });
  t.same(typed({ widths: '' }), { thumbnail: { format: 'jpeg', at: 'auto' } }, 'no widths: the default');
  t.same(typed({ storyboard: true, preview: true }), { thumbnail: { widths: [320, 640], format: 'jpeg', at: 'auto', storyboard: {}, preview: {} } }, "turned on: the API's defaults");
  t.same(typed({ frame: 'auto', position: 'ignored' }), { thumbnail: { widths: [320, 640], format: 'jpeg', at: 'auto' } }, 'auto ignores the position');
  t.same(typed({ widths: '8, 99999' }), { thumbnail: { widths: [8, 99999], format: 'jpeg', at: 'auto' } }, 'ranges are for the API to judge');
  t.match(typed({ widths: '320px' }), { field: 'widths', message: /whole numbers/ });
  t.match(typed({ frame: 'seconds', position: 'soon' }), { field: 'at', message: /seconds/ });
  t.match(typed({ frame: 'percent', position: '' }), { field: 'at', message: /share/ });
  t.match(typed({ frame: 'percent', position: '-5' }), { field: 'at' }, 'a sign is not a number JSON can carry here');

  t.same(parseWidths(''), undefined);
  t.same(parseWidths('1.5'), 'invalid');
  t.same(parseWidths('16,32'), [16, 32]);
});

t.test("an API 400 names the field its detail's path is about", async (t) => {
  const bad = (status: number, detail?: string) => new ApiError(status, { status, detail });
  const fields = ['id', 'widths', 'format', 'at'] as const;
  t.equal(problemField(bad(400, 'body/thumbnail/widths/0: Too small: expected number to be >=16'), fields), 'widths');
  t.equal(problemField(bad(400, 'body/thumbnail/at: a percentage such as "10%"'), fields), 'at');
  t.equal(problemField(bad(400, 'body/id: Invalid string'), fields), 'id');
  t.equal(problemField(bad(400, 'body/concurrency: Too big: expected number to be <=16'), ['concurrency']), 'concurrency');
  t.equal(problemField(bad(400, 'body/thumbnail: Unrecognized key: "colour"'), fields), undefined, 'a field the form does not have');
  t.equal(problemField(bad(400, 'querystring/limit: Too small'), fields), undefined, 'not about the body');
  t.equal(problemField(bad(400), fields), undefined, 'no detail');
  t.equal(problemField(bad(409, 'body/thumbnail/widths: no'), fields), undefined, 'only a 400 is about a field');
  t.equal(problemField(new Error('body/thumbnail/widths: no'), fields), undefined, 'only an API error');
});

t.test('a preview plan in words', async (t) => {
  t.equal(planSummary({ create: 0, update: 1, delete: 0, same: 3 }), '1 to update, 3 unchanged');
  t.equal(planSummary({ create: 3, update: 0, delete: 1, same: 0 }), '3 to create, 1 to delete');
  t.equal(planSummary({ create: 0, update: 0, delete: 0, same: 0 }), 'no resources');
  t.ok(planChangesSomething({ create: 0, update: 1, delete: 0, same: 3 }));
  t.notOk(planChangesSomething({ create: 0, update: 0, delete: 0, same: 3 }));
});

t.test('a history entry: cancellable while queued or running (once), and how long it ran', async (t) => {
  t.ok(canCancel({ status: 'queued' }));
  t.ok(canCancel({ status: 'running' }));
  t.notOk(canCancel({ status: 'running', cancelRequestedAt: '2030-01-01T00:00:00Z' }), 'a cancel already asked');
  for (const status of ['succeeded', 'failed', 'interrupted', 'cancelled'] as const) {
    t.notOk(canCancel({ status }), status);
    t.notOk(isUnfinished({ status }), `${status} has ended`);
  }
  t.ok(isUnfinished({ status: 'queued' }) && isUnfinished({ status: 'running' }));
  t.equal(runTime({ startedAt: '2030-01-01T00:00:00.000Z', finishedAt: '2030-01-01T00:00:06.400Z' }), '6 s');
  t.equal(runTime({ startedAt: '2030-01-01T00:00:00Z', finishedAt: '2030-01-01T00:02:05Z' }), '2 min 5 s');
  t.equal(runTime({ startedAt: '2030-01-01T00:00:00Z', finishedAt: '2030-01-01T01:03:00Z' }), '1 h 3 min');
  t.equal(runTime({ startedAt: '2030-01-01T00:00:00Z' }), undefined, 'still running');
  t.equal(runTime({ finishedAt: '2030-01-01T00:00:00Z' }), undefined, 'dropped before it started');
});

t.test('a rollout: tenants done, and the counts on their way first', async (t) => {
  const counts: Rollout['counts'] = { pending: 2, queued: 0, running: 1, succeeded: 3, failed: 1, interrupted: 0, cancelled: 0, skipped: 1 };
  t.same(rolloutCounts({ counts }), [
    { status: 'running', count: 1 },
    { status: 'pending', count: 2 },
    { status: 'succeeded', count: 3 },
    { status: 'failed', count: 1 },
    { status: 'skipped', count: 1 },
  ]);
  t.equal(rolloutDone({ counts, total: 8 }), 5, 'succeeded, failed and skipped are done');
  const none = { ...counts, pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 };
  t.same(rolloutCounts({ counts: none }), []);
  t.equal(rolloutDone({ counts: none, total: 0 }), 0);
});
