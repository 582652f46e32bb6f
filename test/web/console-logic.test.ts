// The console's pure logic: engine events to progress and log lines, tenant keys to tenant ids, the
// settings form to a `thumbnail` body and back, API errors to their field, preview plans, history
// entries and rollout counts in words; a direct upload's parts, what a resumed one must still send
// and which file may resume it; storyboard tiles for a moment; video facts in words; the webhook
// event types. The DOM parts are covered by the end-to-end tests.
import t from 'tap';
import { DEFAULT_THUMBNAIL_SETTINGS, thumbnailSettingsSchema } from '../../src/domain/thumbnail-settings.js';
import { ApiError } from '../../web/src/api-client.js';
import { advance, describe, NO_PROGRESS, type EngineEvent } from '../../web/src/engine-progress.js';
import { canCancel, isUnfinished, runTime } from '../../web/src/operator/history-entry.js';
import { planChangesSomething, planSummary } from '../../web/src/operator/plan-summary.js';
import { rolloutCounts, rolloutDone } from '../../web/src/operator/rollout-summary.js';
import { fieldsOf, parseWidths, thumbnailOf, type SettingsFields } from '../../web/src/operator/settings-input.js';
import { problemField } from '../../web/src/problem-field.js';
import { tenantIdOfKey } from '../../web/src/tenant-key.js';
import { cueAt, cueAtFraction, tileView } from '../../web/src/tenant/storyboard-tiles.js';
import { completionParts, DIRECT_UPLOAD_THRESHOLD, isDirectUpload, partRanges, resumeMismatch, resumePlan } from '../../web/src/tenant/upload-parts.js';
import { displaySize, formatBytes, formatDuration } from '../../web/src/tenant/video-facts.js';
import { EVENT_TYPES } from '../../web/src/tenant/webhook-event-types.js';
import type { Rollout } from '../../web/src/api-types.js';
import { planStoryboard, storyboardIndex } from '../../src/lambda-image/storyboard-plan.js';
import { storyboardSettingsSchema } from '../../src/domain/thumbnail-settings.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/domain/webhook-events.js';

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

const MiB = 1024 * 1024;

t.test('a direct upload: files over 64 MiB, in parts of partSize bytes, the last one shorter', async (t) => {
  t.notOk(isDirectUpload(DIRECT_UPLOAD_THRESHOLD), '64 MiB exactly streams through POST /videos');
  t.ok(isDirectUpload(DIRECT_UPLOAD_THRESHOLD + 1));
  t.same(partRanges(12 * MiB, 5 * MiB), [
    { partNumber: 1, start: 0, end: 5 * MiB },
    { partNumber: 2, start: 5 * MiB, end: 10 * MiB },
    { partNumber: 3, start: 10 * MiB, end: 12 * MiB },
  ]);
  t.same(partRanges(10 * MiB, 5 * MiB).map((range) => range.end - range.start), [5 * MiB, 5 * MiB], 'an exact multiple has no empty last part');
  t.same(partRanges(1, 5 * MiB), [{ partNumber: 1, start: 0, end: 1 }]);
});

t.test('resuming: only parts the store holds whole with the ETag this browser saw answered are kept', async (t) => {
  const ranges = partRanges(12 * MiB, 5 * MiB);
  const received = [
    { partNumber: 1, etag: '"a"', size: 5 * MiB },
    { partNumber: 2, etag: '"b"', size: 5 * MiB },
    { partNumber: 3, etag: '"c"', size: MiB },
  ];
  t.same(resumePlan(ranges, [], {}), { kept: {}, send: [1, 2, 3] }, 'a new upload sends every part');
  t.same(resumePlan(ranges, received.slice(0, 1), { 1: '"a"' }), { kept: { 1: '"a"' }, send: [2, 3] }, 'the parts the store does not hold');
  t.same(
    resumePlan(ranges, received.slice(0, 2), { 1: '"a"' }),
    { kept: { 1: '"a"' }, send: [2, 3] },
    'a part the store lists but this browser never saw answered (a PUT cut off mid-body) is sent again',
  );
  t.same(resumePlan(ranges, received.slice(0, 1), { 1: '"other"' }), { kept: {}, send: [1, 2, 3] }, 'a different ETag is a different part');
  t.same(resumePlan(ranges, received, { 1: '"a"', 2: '"b"', 3: '"c"' }), { kept: { 1: '"a"', 2: '"b"' }, send: [3] }, 'a part of the wrong size is sent again');
  t.same(resumePlan(ranges, [{ partNumber: 3, etag: '"c"', size: 2 * MiB }], { 2: '"b"', 3: '"c"' }), { kept: { 3: '"c"' }, send: [1, 2] }, 'a part confirmed but gone from the store is sent again');

  t.same(completionParts(2, { 2: '"b"', 1: '"a"' }), [{ partNumber: 1, etag: '"a"' }, { partNumber: 2, etag: '"b"' }], 'in order');
  t.throws(() => completionParts(3, { 1: '"a"', 3: '"c"' }), /part 2 of 3 has not been sent/, 'never a file with a hole');
});

t.test('an interrupted upload resumes only from the file it was started from', async (t) => {
  const started = { fileName: 'big.mp4', size: 70 * MiB, lastModified: 1_700_000_000_000 };
  t.equal(resumeMismatch(started, { name: 'big.mp4', size: 70 * MiB, lastModified: 1_700_000_000_000 }), undefined);
  t.match(resumeMismatch(started, { name: 'other.mp4', size: 70 * MiB, lastModified: 1_700_000_000_000 }), /other\.mp4.*big\.mp4/);
  t.match(resumeMismatch(started, { name: 'big.mp4', size: 71 * MiB, lastModified: 1_700_000_000_000 }), /bytes/);
  t.match(resumeMismatch(started, { name: 'big.mp4', size: 70 * MiB, lastModified: 1_700_000_000_001 }), /changed/);
});

t.test("storyboard tiles: the cue for a moment, and the CSS that crops the sheet to it, from the thumbnailer's own index", async (t) => {
  // 4 s at one tile a second, two columns: one sheet of 2 x 2 tiles, 160 x 90 each.
  const index = storyboardIndex(planStoryboard(4, { width: 320, height: 180 }, storyboardSettingsSchema.parse({ intervalSeconds: 1, columns: 2 })), 'jpeg');
  t.same([0, 0.99, 1, 2.5, 3.999, 4, 99].map((seconds) => cueAt(index, seconds)), [0, 0, 1, 2, 3, 3, 3], 'cues cover the whole duration; past the end is the last');
  t.same([-1, 0, 0.3, 0.5, 0.99, 1, 2].map((fraction) => cueAtFraction(index, fraction)), [0, 0, 1, 2, 3, 3, 3], 'a pointer anywhere across the frame');
  t.same(
    [0, 1, 2, 3].map((cue) => tileView(index, cue)),
    [
      { sheet: 0, start: 0, end: 1, backgroundSize: '200% 200%', backgroundPosition: '0% 0%' },
      { sheet: 0, start: 1, end: 2, backgroundSize: '200% 200%', backgroundPosition: '100% 0%' },
      { sheet: 0, start: 2, end: 3, backgroundSize: '200% 200%', backgroundPosition: '0% 100%' },
      { sheet: 0, start: 3, end: 4, backgroundSize: '200% 200%', backgroundPosition: '100% 100%' },
    ],
  );
  // 12 tiles in one column: a sheet of 10 rows, then one of 2.
  const tall = storyboardIndex(planStoryboard(12, { width: 320, height: 180 }, storyboardSettingsSchema.parse({ intervalSeconds: 1, columns: 1 })), 'jpeg');
  t.match(tileView(tall, 4), { sheet: 0, backgroundSize: '100% 1000%', backgroundPosition: '0% 44.4444%' }, 'a sheet one tile wide has no horizontal choice');
  t.match(tileView(tall, 11), { sheet: 1, backgroundSize: '100% 200%', backgroundPosition: '0% 100%' }, 'the next sheet starts its own grid');
  t.throws(() => tileView(tall, 12), RangeError);
});

t.test('video facts in words', async (t) => {
  t.same([0, 7.9, 65, 725, 3723].map(formatDuration), ['0:00', '0:07', '1:05', '12:05', '1:02:03']);
  t.same([512, 2048, 5 * MiB, 3 * 1024 * MiB].map(formatBytes), ['512 B', '2.0 KB', '5.0 MB', '3.00 GB']);
  t.equal(displaySize({ width: 1920, height: 1080 }), '1920×1080');
  t.equal(displaySize({ width: 1920 }), undefined, 'never half a size');
});

t.test("the webhook form offers exactly the API's event types", async (t) => {
  t.same(Object.keys(EVENT_TYPES).sort(), [...WEBHOOK_EVENT_TYPES].sort());
});
