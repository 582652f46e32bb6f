// Shows every size of one video's thumbnail in a modal <dialog>, with fresh links from
// GET /videos/:id (links shown earlier may be close to expiry). Escape or Close returns focus.
import { errorText, type ApiClient } from '../api-client.js';
import type { Video } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';

export function showSizes(client: ApiClient, videoId: string, name: string): void {
  const body = h('div', { class: 'sizes', 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Loading sizes…'));
  const close = h('button', { type: 'button', class: 'button', autofocus: true }, 'Close');
  const dialog = h(
    'dialog',
    { class: 'dialog dialog-wide', 'aria-labelledby': 'sizes-title' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'sizes-title' }, 'Thumbnail sizes'), close),
    h('p', { class: 'hint' }, name, ' · ', h('span', { class: 'mono' }, videoId)),
    body,
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();

  client.get<Video>(`/videos/${encodeURIComponent(videoId)}`).then(
    (video) => {
      body.setAttribute('aria-busy', 'false');
      replaceChildren(
        body,
        ...video.thumbnails
          .toSorted((a, b) => a.width - b.width)
          .map((thumbnail) => {
            const caption = h('figcaption', {}, `${thumbnail.width} px wide`);
            const image = h('img', { src: thumbnail.url, alt: `${thumbnail.width} px thumbnail`, width: thumbnail.width });
            image.addEventListener('load', () => caption.append(` · ${image.naturalWidth}×${image.naturalHeight}`), { once: true });
            return h('figure', {}, image, caption, h('a', { href: thumbnail.url, target: '_blank', rel: 'noopener' }, `Open ${thumbnail.width} px`));
          }),
      );
    },
    (error: unknown) => {
      body.setAttribute('aria-busy', 'false');
      replaceChildren(body, h('p', { class: 'error-text', role: 'alert' }, errorText(error)));
    },
  );
}
