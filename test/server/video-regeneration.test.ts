// POST /videos/:id/regenerate on the whole service (local target: the real engine, versitygw, the
// function runner with ffmpeg, the catalog on PGlite, webhooks to a loopback receiver). A video
// uploaded with the default settings and ready is regenerated at 1 s: 202 pending, listed pending
// while the run cannot finish (the store is frozen), then ready again with the poster at 1 s, the
// thumbnail's pixels those of ffmpeg's own frame at 1 s, and a second video.ready. Without `at` it
// goes back to the tenant's setting. Refusals (400 bad `at`, 404 unknown video, 409 while pending or
// while the tenant is not ready) change nothing. Every answer is in the API document.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { processFreezer } from '../helpers/processes.js';
import { startTestService } from '../helpers/service.js';
import { tempDir } from '../helpers/local-store.js';
import { eventually } from '../helpers/stacks.js';
import { expectProblem, json, type Json } from '../helpers/http.js';
import { expectDocumented, recordingApi } from '../helpers/api-document.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { grayDifference, grayFrameAt, grayPixels, makeVideo } from '../helpers/videos.js';
import { newVideoId } from '../../src/domain/video-layout.js';

/** The same frame, decoded from a JPEG thumbnail, is this close to ffmpeg's raw extract; the next frame already differs by more. */
const SAME_FRAME = 1.5;

t.test('regenerating a video on the local target', async (t) => {
  const service = await startTestService(t);
  const { api, answers } = recordingApi(service);
  const receiver = await startWebhookReceiver(t);
  const acme = await json(await api('/tenants', { method: 'POST', json: { id: 'acme' } }));
  const asAcme = { token: acme.apiKey as string };
  await eventually(async () => (await json(await api('/tenants/acme'))).status === 'ready' || undefined, 'acme ready');
  const endpoint = await json(await api('/webhooks', { method: 'POST', json: { url: receiver.url, events: ['video.ready', 'video.failed'] }, ...asAcme }));
  receiver.secret = endpoint.secret;

  const video = await makeVideo(await tempDir(t), { name: 'clip.mp4', seconds: 4 });
  const form = new FormData();
  form.append('file', new Blob([await readFile(video)]), 'clip.mp4');
  const uploaded = await json(await api('/videos', { method: 'POST', body: form, ...asAcme }));
  const get = async () => json(await api(`/videos/${uploaded.id}`, asAcme));
  const readyAgain = (after: string | undefined) =>
    eventually(async () => {
      const now = await get();
      return now.status === 'ready' && now.readyAt !== after ? now : undefined;
    }, 'the video ready', 180_000);
  const regenerate = (body: unknown, call: { token?: string } = asAcme, id = uploaded.id, query = '') =>
    api(`/videos/${id}/regenerate${query}`, { method: 'POST', ...(body !== undefined && { json: body }), ...call });
  const announced = () => receiver.received.filter((received) => received.message?.type === 'video.ready' && received.message.data.id === uploaded.id);
  const pixelsOf = async (state: Json) => grayPixels(Buffer.from(await (await fetch(state.thumbnails.find((link: Json) => link.width === 320).url)).arrayBuffer()));

  const first = await readyAgain(undefined);
  await eventually(() => announced().length === 1 || undefined, 'the first video.ready');
  t.not(first.poster.atSeconds, 1, `the upload's run took another frame (${first.poster.atSeconds} s)`);

  t.test('refused, changing nothing: a bad `at`, an unknown video, the admin without ?tenant=', async (t) => {
    for (const body of [{ at: 'later' }, { at: -1 }, { at: '150%' }, { at: true }, { at: 1, when: 2 }, ['at', 1]]) {
      await expectProblem(t, await regenerate(body), 400, `at ${JSON.stringify(body)}`);
    }
    await expectProblem(t, await regenerate({ at: 1 }, asAcme, newVideoId()), 404, 'an unknown video');
    await expectProblem(t, await regenerate({ at: 1 }, asAcme, 'not-a-video-id'), 404, 'not a video id');
    await expectProblem(t, await regenerate({ at: 1 }, { token: service.adminToken }), 400, 'the admin without ?tenant=');
    t.same(await get(), first, 'the video is as it was: ready, same run, same links');
    t.same((await json(await api('/videos?status=pending', asAcme))).items, [], 'nothing pending');
  });

  t.test('at 1 s: 202 pending until the new run is done, then ready with the frame at 1 s and a second video.ready', async (t) => {
    // Frozen, the store lets no run finish: what the catalog shows meanwhile is certain.
    const { freeze, thaw } = processFreezer(t, service.objectStorePid());
    freeze();
    const globex = await json(await api('/tenants', { method: 'POST', json: { id: 'globex' } }));
    const accepted = await regenerate({ at: 1 });
    t.equal(accepted.status, 202);
    t.equal(accepted.headers.get('location'), `/videos/${uploaded.id}`);
    const answer = await json(accepted);
    t.match(answer, { id: uploaded.id, status: 'pending', readyAt: first.readyAt, poster: { atSeconds: first.poster.atSeconds } }, "pending, the last run's outputs until the new ones");
    t.match(await get(), { status: 'pending' }, 'the catalog shows it pending');
    t.same((await json(await api('/videos?status=pending', asAcme))).items.map((item: Json) => item.id), [uploaded.id], 'listed among the pending');

    await expectProblem(t, await regenerate({ at: 2 }), 409, 'again while it runs');
    await expectProblem(t, await regenerate({ at: 2 }, { token: globex.apiKey }, newVideoId()), 409, 'a tenant still provisioning');
    await expectProblem(t, await regenerate({ at: 2 }, { token: service.adminToken }, uploaded.id, '?tenant=globex'), 409, 'the admin for a tenant still provisioning');
    thaw();

    const second = await readyAgain(first.readyAt);
    t.match(second.poster, { atSeconds: 1, score: null }, 'the poster is the frame at 1 s (the refused at 2 s never ran)');
    const [atOne, before] = [await grayFrameAt(video, 1), await grayFrameAt(video, first.poster.atSeconds)];
    const thumbnail = await pixelsOf(second);
    t.ok(grayDifference(thumbnail, atOne) < SAME_FRAME, `w320 shows ffmpeg's frame at 1 s (difference ${grayDifference(thumbnail, atOne).toFixed(2)})`);
    t.ok(grayDifference(thumbnail, before) > 4 * SAME_FRAME, `and no longer the frame of the upload's run (difference ${grayDifference(thumbnail, before).toFixed(2)})`);
    const messages = await eventually(() => (announced().length === 2 ? announced() : undefined), 'a second video.ready');
    t.match(messages[1]!.message!.data, { id: uploaded.id, status: 'ready', readyAt: second.readyAt });
    t.not(messages[1]!.id, messages[0]!.id, 'a message of its own');
    await eventually(async () => (await json(await api('/tenants/globex'))).status === 'ready' || undefined, 'globex ready');
  });

  t.test("without `at`, by the admin with ?tenant=: the tenant's setting again", async (t) => {
    const before = await get();
    const accepted = await regenerate(undefined, { token: service.adminToken }, uploaded.id, '?tenant=acme');
    t.equal(accepted.status, 202);
    const third = await readyAgain(before.readyAt);
    t.same(third.poster, { ...first.poster, url: third.poster.url }, 'the frame "auto" picked for the upload');
    t.ok(grayDifference(await pixelsOf(third), await grayFrameAt(video, first.poster.atSeconds)) < SAME_FRAME, 'its pixels');
    await eventually(() => announced().length === 3 || undefined, 'a third video.ready');
    t.same(receiver.received.filter((received) => received.message?.type === 'video.failed'), [], 'nothing failed');
  });

  t.test('every answer is in the API document', async (t) => {
    t.ok((await expectDocumented(t, service, answers)) > 5);
  });
});
