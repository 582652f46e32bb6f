// One video of the gallery: its name, status and metadata from the catalog, its picture once ready
// (poster, storyboard, preview: read from GET /videos/:id), why it failed, and its actions (all
// thumbnail sizes; delete, after a confirmation). The card never changes a status itself: the
// gallery reads the catalog again and gives it a new card.
import { isAbort, type ApiClient } from '../api-client.js';
import type { Video, VideoListItem } from '../api-types.js';
import { confirmAction } from '../confirm-dialog.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { localTime } from '../local-time.js';
import { statusBadge } from '../status-badge.js';
import { showSizes } from './sizes-dialog.js';
import { displaySize, formatBytes, formatDuration } from './video-facts.js';
import { videoMedia, type VideoMedia } from './video-media.js';

export type VideoCard = { readonly element: HTMLLIElement; dispose(): void };

export function videoCard(client: ApiClient, item: VideoListItem, onDeleted: (videoId: string) => void): VideoCard {
  const stopped = new AbortController();
  const titleId = uniqueId('video-title');
  const mediaHolder = h('div', { class: 'media-holder' }, h('div', { class: 'media media-waiting' }, h('p', {}, item.status === 'pending' ? 'Making thumbnails…' : 'Loading…')));
  const remove = h('button', { type: 'button', class: 'button button-small button-danger', 'aria-label': `Delete ${item.name}` }, 'Delete');
  const sizes = h('button', { type: 'button', class: 'button button-small', 'aria-label': `All thumbnail sizes of ${item.name}`, hidden: true }, 'Sizes');
  const cardError = errorSlot(remove);
  const reason = h('p', { class: 'entry-error', hidden: true });
  let media: VideoMedia | undefined;

  const fact = (term: string, value: Node | string | undefined) => (value === undefined ? false : h('div', {}, h('dt', {}, term), h('dd', {}, value)));
  const element = h(
    'li',
    { class: 'video-card', 'data-video': item.id, 'data-status': item.status, 'aria-labelledby': titleId },
    mediaHolder,
    h('div', { class: 'video-head' }, h('h3', { id: titleId, class: 'video-name' }, item.name), statusBadge(item.status)),
    reason,
    h(
      'dl',
      { class: 'video-facts' },
      fact('Size', formatBytes(item.size)),
      fact('Length', item.durationSeconds === undefined ? undefined : formatDuration(item.durationSeconds)),
      fact('Display', displaySize(item)),
      fact('Uploaded', localTime(item.createdAt)),
      fact('Ready', item.readyAt ? localTime(item.readyAt) : undefined),
    ),
    h('div', { class: 'actions actions-start' }, sizes, remove),
    cardError.element,
  );

  function showVideo(video: Video): void {
    if (video.status === 'failed') {
      replaceChildren(mediaHolder, h('div', { class: 'media media-waiting' }, h('p', {}, 'No thumbnails')));
      reason.textContent = video.error ?? 'The thumbnailer could not read this video.';
      reason.hidden = false;
      return;
    }
    media = videoMedia(video);
    mediaHolder.replaceWith(media.element);
    sizes.hidden = video.thumbnails.length === 0;
  }

  // A pending video has nothing more to show until the gallery hands over its next state.
  if (item.status !== 'pending') {
    client.get<Video>(`/videos/${encodeURIComponent(item.id)}`, stopped.signal).then(showVideo, (error: unknown) => {
      if (!isAbort(error)) cardError.show(error);
    });
  }

  sizes.addEventListener('click', () => showSizes(client, item.id, item.name));
  remove.addEventListener('click', () => {
    void (async () => {
      const confirmed = await confirmAction({
        title: `Delete ${item.name}?`,
        message: 'The video and every thumbnail, poster, storyboard and preview made from it are removed from storage. This cannot be undone.',
        confirmLabel: 'Delete video',
      });
      if (!confirmed) return;
      cardError.clear();
      remove.disabled = true;
      try {
        await client.send('DELETE', `/videos/${encodeURIComponent(item.id)}`, undefined, stopped.signal);
        onDeleted(item.id);
      } catch (error) {
        if (!isAbort(error)) cardError.show(error);
      } finally {
        remove.disabled = false;
      }
    })();
  });

  return {
    element,
    dispose() {
      stopped.abort();
      media?.dispose();
    },
  };
}
