// A ready video's picture in the gallery: its poster; the storyboard tile for the moment under the
// pointer (or chosen with the arrow keys on the focused frame, a slider); and the animated preview,
// played while "Play preview" is pressed, or while the pointer is over a video with no storyboard.
// storyboard.json is read from the store (a cross-origin fetch) the first time it is needed. It
// shows the API's links only and never builds a URL itself.
import { errorText } from '../api-client.js';
import type { StoryboardIndex, Video } from '../api-types.js';
import { h } from '../dom.js';
import { cueAt, cueAtFraction, tileView } from './storyboard-tiles.js';
import { formatDuration } from './video-facts.js';

export type VideoMedia = { readonly element: HTMLElement; dispose(): void };

type Showing = 'poster' | 'tile' | 'preview';

/** Reads storyboard.json; anything without cues and sheets is not a storyboard index. */
async function readStoryboard(url: string, signal: AbortSignal): Promise<StoryboardIndex> {
  const response = await fetch(url, { mode: 'cors', credentials: 'omit', signal });
  if (!response.ok) throw new Error(`the store answered ${response.status}`);
  const index = (await response.json()) as Partial<StoryboardIndex>;
  if (!Array.isArray(index.cues) || index.cues.length === 0 || !Array.isArray(index.sheets)) throw new Error('storyboard.json has no cues');
  return index as StoryboardIndex;
}

/** The largest box of the tile's aspect that fits the frame. */
function fit(tile: { width: number; height: number }, frame: { width: number; height: number }) {
  const scale = Math.min(frame.width / tile.width, frame.height / tile.height);
  return { width: Math.round(tile.width * scale), height: Math.round(tile.height * scale) };
}

export function videoMedia(video: Video): VideoMedia {
  const stopped = new AbortController();
  const still = video.poster?.url ?? video.thumbnails.toSorted((a, b) => b.width - a.width)[0]?.url;
  const poster = still ? h('img', { class: 'media-poster', src: still, alt: `${video.poster ? 'Poster' : 'Thumbnail'} of ${video.name}`, decoding: 'async' }) : h('p', { class: 'hint' }, 'No picture');
  const tile = h('div', { class: 'media-tile', hidden: true, 'aria-hidden': 'true' });
  const time = h('span', { class: 'media-time', hidden: true, 'aria-hidden': 'true' });
  const preview = video.preview ? h('img', { class: 'media-preview', hidden: true, alt: `Animated preview of ${video.name}` }) : undefined;
  const frame = h('div', { class: 'media', 'data-showing': 'poster' }, poster, tile, preview, time);
  const note = h('p', { class: 'hint media-note', hidden: true });
  const element = h('div', { class: 'media-holder' }, frame, note);

  let index: StoryboardIndex | undefined;
  let loading: Promise<void> | undefined;
  let cue = 0;
  /** Where the pointer is over the frame (a fraction of its width), while it is. */
  let pointerAt: number | undefined;
  let previewPressed = false;

  function show(showing: Showing): void {
    frame.dataset.showing = showing;
    poster.hidden = showing !== 'poster';
    tile.hidden = showing !== 'tile';
    time.hidden = showing !== 'tile';
    if (preview) {
      // The animated WebP loads the first time it is played.
      if (showing === 'preview' && !preview.getAttribute('src')) preview.src = video.preview!.url;
      preview.hidden = showing !== 'preview';
    }
  }

  /** Back to what the frame shows at rest: the preview while pressed, else the poster. */
  const rest = () => show(previewPressed ? 'preview' : 'poster');

  function showCue(next: number): void {
    if (!index || !video.storyboard) return;
    cue = Math.min(index.cues.length - 1, Math.max(0, next));
    const view = tileView(index, cue);
    const size = fit({ width: index.tileWidth, height: index.tileHeight }, { width: frame.clientWidth, height: frame.clientHeight });
    const sheet = video.storyboard.images[view.sheet];
    if (sheet) tile.style.backgroundImage = `url(${JSON.stringify(sheet)})`;
    tile.style.width = `${size.width}px`;
    tile.style.height = `${size.height}px`;
    tile.style.backgroundSize = view.backgroundSize;
    tile.style.backgroundPosition = view.backgroundPosition;
    tile.dataset.cue = String(cue);
    time.textContent = formatDuration(view.start);
    frame.setAttribute('aria-valuenow', String(view.start));
    frame.setAttribute('aria-valuetext', `${formatDuration(view.start)} of ${formatDuration(index.durationSeconds)}`);
    show('tile');
  }

  function ensureStoryboard(): Promise<void> {
    if (!video.storyboard) return Promise.resolve();
    loading ??= readStoryboard(video.storyboard.json, stopped.signal).then(
      (read) => {
        index = read;
        frame.setAttribute('aria-valuemax', String(read.durationSeconds));
        // A pointer that came in before the index did gets its tile now, without waiting for it to move.
        if (pointerAt !== undefined) showCue(cueAtFraction(read, pointerAt));
        // Sheets load now, so the first tiles do not flash empty.
        for (const url of video.storyboard!.images) new Image().src = url;
      },
      (error: unknown) => {
        if (stopped.signal.aborted) return;
        note.textContent = `The storyboard could not be read: ${errorText(error)}`;
        note.hidden = false;
      },
    );
    return loading;
  }

  const fraction = (event: PointerEvent) => {
    const box = frame.getBoundingClientRect();
    return box.width > 0 ? (event.clientX - box.left) / box.width : 0;
  };

  if (video.storyboard) {
    const slider = { tabindex: '0', role: 'slider', 'aria-label': `Storyboard of ${video.name}`, 'aria-valuemin': '0', 'aria-valuenow': '0' };
    for (const [name, value] of Object.entries(slider)) frame.setAttribute(name, value);
    if (video.durationSeconds !== undefined) frame.setAttribute('aria-valuemax', String(video.durationSeconds));
    frame.title = 'Move the pointer, or use the arrow keys, to scrub through the storyboard';
    frame.addEventListener('pointerenter', () => void ensureStoryboard());
    frame.addEventListener('pointermove', (event) => {
      pointerAt = fraction(event);
      if (index) showCue(cueAtFraction(index, pointerAt));
    });
    frame.addEventListener('pointerleave', () => {
      pointerAt = undefined;
      rest();
    });
    frame.addEventListener('focus', () => void ensureStoryboard());
    frame.addEventListener('blur', rest);
    frame.addEventListener('keydown', (event) => {
      const step: Record<string, (current: number, last: number) => number> = {
        ArrowRight: (current) => current + 1,
        ArrowUp: (current) => current + 1,
        ArrowLeft: (current) => current - 1,
        ArrowDown: (current) => current - 1,
        Home: () => 0,
        End: (_current, last) => last,
      };
      if (event.key === 'Escape') return rest();
      const move = step[event.key];
      if (!move) return;
      event.preventDefault();
      void ensureStoryboard().then(() => {
        if (!index) return;
        // The first key shows the tile of the poster's moment, then steps from there.
        const from = frame.dataset.showing === 'tile' ? move(cue, index.cues.length - 1) : cueAt(index, video.poster?.atSeconds ?? 0);
        showCue(from);
      });
    });
  } else if (preview) {
    frame.addEventListener('pointerenter', () => show('preview'));
    frame.addEventListener('pointerleave', rest);
  }

  const toggle = preview && h('button', { type: 'button', class: 'button button-small', 'aria-pressed': 'false' }, 'Play preview');
  if (toggle) {
    toggle.addEventListener('click', () => {
      previewPressed = !previewPressed;
      // The label stays: aria-pressed says whether it plays.
      toggle.setAttribute('aria-pressed', String(previewPressed));
      rest();
    });
    element.append(h('div', { class: 'actions actions-start media-actions' }, toggle));
  }
  return { element, dispose: () => stopped.abort() };
}
