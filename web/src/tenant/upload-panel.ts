// Uploads one or more videos (picker or drag-and-drop), each with its own progress, then follows
// each until its thumbnails are ready or it failed, showing the reason. Files over 64 MiB go
// straight to the bucket in parts (with per-part progress); an upload a reload interrupted is
// listed again and resumes when the same file is chosen. Each file's error (problem+json `detail`)
// stays on that file's row.
import { ApiError, isAbort, type ApiClient } from '../api-client.js';
import type { UploadState, Video } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot, type ErrorSlot } from '../error-slot.js';
import { statusBadge } from '../status-badge.js';
import { directUpload } from './direct-upload.js';
import { partGrid } from './part-grid.js';
import { forgetPendingUpload, pendingUploads, type PendingUpload } from './pending-uploads.js';
import { isDirectUpload, resumeMismatch } from './upload-parts.js';
import { uploadVideo } from './upload-request.js';
import { formatBytes } from './video-facts.js';
import { settledVideo } from './video-watch.js';

export type UploadPanel = { readonly element: HTMLElement; dispose(): void };

export type UploadEvents = {
  /** The video is stored and listed (pending): its thumbnails are on their way. */
  accepted(videoId: string): void;
  ready(video: Video): void;
};

type UploadRow = {
  readonly element: HTMLLIElement;
  readonly bar: HTMLProgressElement;
  readonly failure: ErrorSlot;
  /** Below the bar: the parts of a direct upload, or what resuming needs. */
  readonly detail: HTMLElement;
  readonly preview: HTMLElement;
  setState(status: string, note?: string): void;
};

function uploadRow(name: string, size: number): UploadRow {
  const barId = uniqueId('upload');
  const bar = h('progress', { id: barId, max: size || 1, value: 0 });
  const state = h('span', { class: 'upload-state' });
  const failure = errorSlot(bar);
  const detail = h('div', { class: 'upload-detail' });
  const preview = h('div', { class: 'upload-preview' });
  const element = h(
    'li',
    { class: 'upload' },
    h('div', { class: 'upload-head' }, h('label', { for: barId, class: 'upload-name' }, name), h('span', { class: 'hint' }, formatBytes(size)), state),
    bar,
    failure.element,
    detail,
    preview,
  );
  const setState = (status: string, note?: string) => {
    element.dataset.status = status;
    replaceChildren(state, statusBadge(status), note ? ` ${note}` : '');
  };
  return { element, bar, failure, detail, preview, setState };
}

export function uploadPanel(client: ApiClient, tenantId: string, events: UploadEvents): UploadPanel {
  const controller = new AbortController();
  const input = h('input', { type: 'file', id: uniqueId('videos'), accept: 'video/*', multiple: true, class: 'file-input' });
  const list = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const dropZone = h(
    'div',
    { class: 'drop-zone' },
    h('p', {}, 'Drop video files here, or'),
    h('label', { for: input.id, class: 'button button-primary' }, 'Choose videos'),
    h('p', { class: 'hint' }, 'Files over 64 MiB go straight to storage in parts, and resume after an interruption.'),
    input,
  );
  /** Interrupted uploads waiting for their file, by upload id. */
  const waiting = new Map<string, { upload: PendingUpload; resume(file: File): void }>();

  function start(files: Iterable<File>): void {
    for (const file of files) {
      const interrupted = isDirectUpload(file.size) ? [...waiting.values()].find(({ upload }) => resumeMismatch(upload, file) === undefined) : undefined;
      if (interrupted) {
        interrupted.resume(file);
        continue;
      }
      const row = uploadRow(file.name, file.size);
      list.prepend(row.element);
      void send(row, file);
    }
  }

  /** Sends the file (streamed, or in parts, resuming `pending`), then follows its video. */
  async function send(row: UploadRow, file: File, pending?: PendingUpload): Promise<void> {
    row.failure.clear();
    replaceChildren(row.detail);
    row.setState('uploading');
    const direct = isDirectUpload(file.size);
    const grid = direct ? partGrid((sent) => (row.bar.value = sent)) : undefined;
    if (grid) replaceChildren(row.detail, grid.element);
    try {
      const videoId = grid
        ? await directUpload(client, tenantId, file, { planned: grid.plan, sending: grid.sending, sent: grid.sent }, controller.signal, pending)
        : (await uploadVideo(client.token, file, (sent, total) => ((row.bar.max = total || 1), (row.bar.value = sent)), controller.signal)).id;
      row.bar.value = row.bar.max;
      await follow(row, videoId, file.name);
    } catch (error) {
      if (isAbort(error)) return;
      grid?.halted();
      row.setState('rejected');
      row.failure.show(error);
      // A direct upload that stopped midway keeps what arrived: it can go on from there.
      const resumable = direct && pendingUploads(tenantId).find((upload) => resumeMismatch(upload, file) === undefined);
      if (resumable) {
        const again = h('button', { type: 'button', class: 'button button-small' }, 'Try again');
        again.addEventListener('click', () => void send(row, file, resumable));
        row.detail.append(h('div', { class: 'actions actions-start' }, again));
      }
    }
  }

  async function follow(row: UploadRow, videoId: string, name: string): Promise<void> {
    row.element.dataset.video = videoId;
    row.setState('processing');
    events.accepted(videoId);
    const video = await settledVideo(client, videoId, controller.signal);
    if (video.status === 'failed') {
      row.setState('failed');
      row.failure.show(new Error(video.error ?? 'The thumbnailer could not read this video.'));
      return;
    }
    row.setState('ready');
    const smallest = video.thumbnails.toSorted((a, b) => a.width - b.width)[0];
    if (smallest) replaceChildren(row.preview, h('img', { src: smallest.url, alt: `Thumbnail of ${name}`, width: smallest.width }));
    events.ready(video);
  }

  /** An upload a reload (or a closed tab) interrupted: what arrived, and a picker for the same file. */
  function interruptedRow(upload: PendingUpload): void {
    const row = uploadRow(upload.fileName, upload.size);
    row.element.dataset.upload = upload.uploadId;
    row.setState('interrupted');
    const picker = h('input', { type: 'file', id: uniqueId('resume'), class: 'file-input', accept: 'video/*' });
    const discard = h('button', { type: 'button', class: 'button button-small button-danger' }, 'Discard');
    const received = h('p', { class: 'hint' }, 'Asking which parts arrived…');
    replaceChildren(
      row.detail,
      received,
      h(
        'div',
        { class: 'actions actions-start resume-actions' },
        h('label', { for: picker.id, class: 'button button-small button-primary' }, `Choose ${upload.fileName} again to resume`),
        picker,
        discard,
      ),
    );
    list.append(row.element);

    const resume = (file: File) => {
      waiting.delete(upload.uploadId);
      void send(row, file, upload);
    };
    waiting.set(upload.uploadId, { upload, resume });
    picker.addEventListener('change', () => {
      const file = picker.files?.[0];
      picker.value = '';
      if (!file) return;
      const mismatch = resumeMismatch(upload, file);
      if (mismatch) row.failure.show(new Error(`${mismatch} Choose the file this upload was started from.`));
      else resume(file);
    });
    discard.addEventListener('click', () => {
      void (async () => {
        const confirmed = await confirmAction({
          title: `Discard the upload of ${upload.fileName}?`,
          message: 'The parts sent so far are deleted from storage. Uploading the file again starts from the beginning.',
          confirmLabel: 'Discard upload',
          keepLabel: 'Keep it',
        });
        if (!confirmed) return;
        try {
          await client.send('DELETE', `/uploads/${encodeURIComponent(upload.uploadId)}`, undefined, controller.signal);
        } catch (error) {
          // Already gone (expired, or aborted elsewhere) is what discarding asked for.
          if (!(error instanceof ApiError && error.status === 404)) return row.failure.show(error);
        }
        forgetPendingUpload(tenantId, upload.uploadId);
        waiting.delete(upload.uploadId);
        row.element.remove();
      })();
    });

    client.get<UploadState>(`/uploads/${encodeURIComponent(upload.uploadId)}`, controller.signal).then(
      (state) => {
        // Resumed meanwhile: the row shows the upload itself now.
        if (!waiting.has(upload.uploadId)) return;
        const bytes = state.received.reduce((sum, part) => sum + part.size, 0);
        row.bar.value = bytes;
        received.textContent =
          state.status === 'completed'
            ? 'It was completed before the interruption: choose the file again to follow it.'
            : `${state.received.length} of ${Math.max(1, Math.ceil(state.size / state.partSize))} parts are in storage (${formatBytes(bytes)}).`;
      },
      (error: unknown) => {
        if (isAbort(error) || !waiting.has(upload.uploadId)) return;
        if (error instanceof ApiError && error.status === 404) {
          forgetPendingUpload(tenantId, upload.uploadId);
          waiting.delete(upload.uploadId);
          row.setState('failed');
          replaceChildren(row.detail);
        }
        row.failure.show(error);
      },
    );
  }

  for (const upload of pendingUploads(tenantId)) interruptedRow(upload);

  input.addEventListener('change', () => {
    if (input.files) start(input.files);
    input.value = '';
  });
  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('drop-active');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('drop-active'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('drop-active');
    if (event.dataTransfer) start(event.dataTransfer.files);
  });

  const element = h('section', { class: 'panel', 'aria-labelledby': 'upload-title' }, h('h2', { id: 'upload-title' }, 'Upload videos'), dropZone, list);
  return { element, dispose: () => controller.abort() };
}
