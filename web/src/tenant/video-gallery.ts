// The tenant's videos from the catalog (GET /videos, newest first), as a gallery of cards: all of
// them or those of one status, a page at a time with "Load more". While a shown video is pending it
// reads the shown ones again every few seconds, and stops once none is: a status is always the
// API's, never guessed. A card is made again only when its video changed.
import { ApiError, isAbort, type ApiClient } from '../api-client.js';
import type { VideoListItem, VideoPage, VideoStatus } from '../api-types.js';
import { h, replaceChildren, uniqueId } from '../dom.js';
import { errorSlot } from '../error-slot.js';
import { videoCard, type VideoCard } from './video-card.js';

const PAGE_SIZE = 12;
/** The API's largest page: a refresh reads every shown video in one call up to this. */
const MAX_PAGE_SIZE = 100;
const POLL_MS = 2000;
const FILTERS: Array<{ value: '' | VideoStatus; label: string }> = [
  { value: '', label: 'All videos' },
  { value: 'pending', label: 'Pending' },
  { value: 'ready', label: 'Ready' },
  { value: 'failed', label: 'Failed' },
];

export type VideoGallery = { readonly element: HTMLElement; /** Reads the shown videos again (a new upload appears first). */ refresh(): void; stop(): void };

export function videoGallery(client: ApiClient): VideoGallery {
  const filter = h('select', { id: uniqueId('video-filter') }, ...FILTERS.map((option) => h('option', { value: option.value }, option.label)));
  const reload = h('button', { type: 'button', class: 'button button-small' }, 'Refresh');
  const grid = h('ul', { class: 'videos', 'aria-label': 'Videos, newest first', 'aria-busy': 'true' }, h('li', { class: 'empty' }, 'Loading videos…'));
  const more = h('button', { type: 'button', class: 'button button-small', hidden: true }, 'Load more');
  const loadError = errorSlot(more);
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'videos-title' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: 'videos-title' }, 'Videos'),
      h('div', { class: 'row-actions filter' }, h('label', { for: filter.id }, 'Show'), filter, reload),
    ),
    grid,
    loadError.element,
    h('div', { class: 'actions' }, more),
  );

  let items: VideoListItem[] = [];
  let nextCursor: string | null = null;
  const cards = new Map<string, { shown: string; card: VideoCard }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = new AbortController();
  /** Bumped by each read, so an answer that arrives after a newer read started is dropped. */
  let generation = 0;

  function render(): void {
    grid.setAttribute('aria-busy', 'false');
    more.hidden = nextCursor === null;
    const wanted = new Set(items.map((item) => item.id));
    for (const [id, { card }] of cards) {
      if (!wanted.has(id)) {
        card.dispose();
        cards.delete(id);
      }
    }
    if (items.length === 0) {
      const status = FILTERS.find((option) => option.value === filter.value);
      replaceChildren(grid, h('li', { class: 'empty' }, filter.value ? `No ${status?.label.toLowerCase()} videos.` : 'No videos yet: upload one above.'));
      return;
    }
    const shownCards = items.map((item) => {
      const shown = JSON.stringify(item);
      const known = cards.get(item.id);
      if (known?.shown === shown) return known.card;
      known?.card.dispose();
      const card = videoCard(client, item, removed);
      cards.set(item.id, { shown, card });
      return card;
    });
    // Only what changed moves: a card being hovered or focused stays where it is, focus and all.
    const elements = new Set<Element>(shownCards.map((card) => card.element));
    for (const child of [...grid.children]) if (!elements.has(child)) child.remove();
    shownCards.forEach((card, position) => {
      const there = grid.children[position];
      if (there !== card.element) grid.insertBefore(card.element, there ?? null);
    });
  }

  function schedule(): void {
    clearTimeout(timer);
    if (!stopped.signal.aborted && items.some((item) => item.status === 'pending')) timer = setTimeout(() => void refresh(), POLL_MS);
  }

  function read(limit: number, cursor?: string): Promise<VideoPage> {
    const query = new URLSearchParams({ limit: String(limit), ...(filter.value && { status: filter.value }), ...(cursor && { cursor }) });
    return client.get<VideoPage>(`/videos?${query}`, stopped.signal);
  }

  /** Reads the shown videos again (at least a page), newest first. */
  async function refresh(): Promise<void> {
    const mine = ++generation;
    try {
      const page = await read(Math.min(Math.max(items.length, PAGE_SIZE), MAX_PAGE_SIZE));
      if (mine !== generation) return;
      items = page.items;
      nextCursor = page.nextCursor;
      loadError.clear();
      render();
    } catch (error) {
      if (isAbort(error) || mine !== generation) return;
      loadError.show(error);
      // A refusal (the session revoked, the tenant deleted) does not pass by reading again.
      if (error instanceof ApiError && error.status < 500) return;
    }
    schedule();
  }

  function removed(videoId: string): void {
    items = items.filter((item) => item.id !== videoId);
    render();
    void refresh();
  }

  more.addEventListener('click', () => {
    if (nextCursor === null) return;
    more.disabled = true;
    loadError.clear();
    const mine = ++generation;
    read(PAGE_SIZE, nextCursor)
      .then((page) => {
        if (mine !== generation) return;
        items = [...items, ...page.items];
        nextCursor = page.nextCursor;
        render();
        schedule();
      })
      .catch((error: unknown) => {
        if (!isAbort(error)) loadError.show(error);
      })
      .finally(() => (more.disabled = false));
  });
  filter.addEventListener('change', () => {
    items = [];
    nextCursor = null;
    grid.setAttribute('aria-busy', 'true');
    void refresh();
  });
  reload.addEventListener('click', () => void refresh());

  void refresh();
  return {
    element,
    refresh: () => void refresh(),
    stop() {
      stopped.abort();
      clearTimeout(timer);
      for (const { card } of cards.values()) card.dispose();
      cards.clear();
    },
  };
}
