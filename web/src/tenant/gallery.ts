// The tenant's thumbnail gallery, one page of GET /thumbnails at a time, following `nextCursor`
// forward and remembering the cursors behind it to go back. Clicking a tile shows all its sizes.
import type { ApiClient } from '../api-client.js';
import type { ThumbnailPage } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { thumbnailTiles } from '../thumbnail-tiles.js';
import { showSizes } from './sizes-dialog.js';

const PAGE_SIZE = 24;

export type Gallery = { readonly element: HTMLElement; /** Reloads when the first page is shown (new thumbnails appear there). */ refresh(): void };

export function gallery(client: ApiClient): Gallery {
  const grid = h('ul', { class: 'gallery', 'aria-live': 'polite' });
  const previous = h('button', { type: 'button', class: 'button button-small' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'button button-small' }, 'Next page');
  const pageLabel = h('span', { class: 'hint', 'aria-live': 'polite' });
  const pageError = errorSlot(next);
  /** cursors[i] is the cursor of page i (undefined for the first). */
  const cursors: Array<string | undefined> = [undefined];
  let page = 0;

  async function load(index: number): Promise<void> {
    pageError.clear();
    grid.setAttribute('aria-busy', 'true');
    try {
      const cursor = cursors[index];
      const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor && { cursor }) });
      const result = await client.get<ThumbnailPage>(`/thumbnails?${query}`);
      page = index;
      cursors.length = index + 1;
      if (result.nextCursor) cursors.push(result.nextCursor);
      render(result);
    } catch (error) {
      pageError.show(error);
    } finally {
      grid.setAttribute('aria-busy', 'false');
    }
  }

  function render(result: ThumbnailPage): void {
    const tiles = thumbnailTiles(result.items);
    if (tiles.length === 0) replaceChildren(grid, h('li', { class: 'empty' }, page === 0 ? 'No thumbnails yet: upload a video above.' : 'Nothing on this page.'));
    else
      replaceChildren(
        grid,
        ...tiles.map((tile) => {
          const open = h(
            'button',
            { type: 'button', class: 'tile', 'aria-label': `Show all sizes of video ${tile.videoId}` },
            h('img', { src: tile.preview.url, alt: '', loading: 'lazy', width: tile.preview.width }),
          );
          open.addEventListener('click', () => showSizes(client, tile.videoId, tile.sizes));
          return h('li', { 'data-video': tile.videoId }, open, h('span', { class: 'tile-caption' }, new Date(tile.preview.lastModified).toLocaleString()));
        }),
      );
    previous.disabled = page === 0;
    next.disabled = cursors[page + 1] === undefined;
    pageLabel.textContent = `Page ${page + 1}`;
  }

  previous.addEventListener('click', () => void load(page - 1));
  next.addEventListener('click', () => void load(page + 1));
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'gallery-title' },
    h('h2', { id: 'gallery-title' }, 'Thumbnails'),
    grid,
    h('nav', { class: 'pager', 'aria-label': 'Thumbnail pages' }, previous, pageLabel, next),
    pageError.element,
  );
  void load(0);
  return {
    element,
    refresh: () => {
      if (page === 0) void load(0);
    },
  };
}
