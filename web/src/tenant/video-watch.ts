// Waits for a video's thumbnails by polling GET /videos/:id, slowing down as it waits, until the
// video is ready or failed. It stops as soon as the page no longer needs it (abort signal).
import type { ApiClient } from '../api-client.js';
import type { Video } from '../api-types.js';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 5000;

export async function settledVideo(client: ApiClient, videoId: string, signal: AbortSignal): Promise<Video> {
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 1.5, MAX_DELAY_MS)) {
    await sleep(delay, signal);
    const video = await client.get<Video>(`/videos/${encodeURIComponent(videoId)}`, signal);
    if (video.status !== 'pending') return video;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
