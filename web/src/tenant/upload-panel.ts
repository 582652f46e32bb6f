// Uploads one or more videos (picker or drag-and-drop), each with its own progress bar, then
// follows each until its thumbnails are ready or it failed, showing the reason. Each file's
// error (problem+json `detail`) stays on that file's row.
import { isAbort, type ApiClient } from '../api-client.js';
import type { Video } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { statusBadge } from '../status-badge.js';
import { formatBytes } from './sizes-dialog.js';
import { uploadVideo } from './upload-request.js';
import { settledVideo } from './video-watch.js';

export type UploadPanel = { readonly element: HTMLElement; dispose(): void };

export function uploadPanel(client: ApiClient, onReady: (video: Video) => void): UploadPanel {
  const controller = new AbortController();
  const input = h('input', { type: 'file', id: uniqueId('videos'), accept: 'video/*', multiple: true, class: 'file-input' });
  const list = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const dropZone = h(
    'div',
    { class: 'drop-zone' },
    h('p', {}, 'Drop video files here, or'),
    h('label', { for: input.id, class: 'button button-primary' }, 'Choose videos'),
    input,
  );

  function start(files: Iterable<File>): void {
    for (const file of files) list.prepend(uploadRow(file));
  }

  function uploadRow(file: File): HTMLLIElement {
    const barId = uniqueId('upload');
    const bar = h('progress', { id: barId, max: file.size || 1, value: 0 });
    const state = h('span', { class: 'upload-state' }, statusBadge('uploading'));
    const failure = errorSlot(bar);
    const preview = h('div', { class: 'upload-preview' });
    const row = h(
      'li',
      { class: 'upload' },
      h('div', { class: 'upload-head' }, h('label', { for: barId, class: 'upload-name' }, file.name), h('span', { class: 'hint' }, formatBytes(file.size)), state),
      bar,
      failure.element,
      preview,
    );
    const setState = (status: string, detail?: string) => replaceChildren(state, statusBadge(status), detail ? ` ${detail}` : '');
    uploadVideo(client.token, file, (sent, total) => ((bar.max = total || 1), (bar.value = sent)), controller.signal)
      .then((video) => {
        bar.value = bar.max;
        row.dataset.video = video.id;
        setState('processing');
        return settledVideo(client, video.id, controller.signal);
      })
      .then((video) => {
        row.dataset.status = video.status;
        if (video.status === 'failed') {
          setState('failed');
          failure.show(new Error(video.error ?? 'The thumbnailer could not read this video.'));
          return;
        }
        setState('ready');
        const smallest = video.thumbnails.toSorted((a, b) => a.width - b.width)[0];
        if (smallest) replaceChildren(preview, h('img', { src: smallest.url, alt: `Thumbnail of ${file.name}`, width: smallest.width }));
        onReady(video);
      })
      .catch((error: unknown) => {
        if (isAbort(error)) return;
        row.dataset.status = 'rejected';
        setState('rejected');
        failure.show(error);
      });
    return row;
  }

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
