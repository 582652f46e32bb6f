// Serves one remote video (a presigned GET) to the render's ffprobe and ffmpeg runs on loopback, from
// blocks read with bounded ranged GETs and kept for the render: the header and index every run reads
// again (an mp4's moov) come from the store once. A GET nobody waits for any more is cut off. It must
// never read more than one run of blocks past what a reader asked for, never serve anything but its
// one object, and never show the source URL.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** The cache's unit: what one short read costs at least. */
export const BLOCK_BYTES = 64 * 1024;
/** A reader that keeps reading gets runs of blocks that double up to this, so long reads take few GETs. */
const MAX_RUN_BLOCKS = 16;
/** Short answers whose reader may come back for the rest, remembered at once (readers seldom leave more than a few). */
const MAX_CONTINUATIONS = 64;
/** Blocks kept (least recently used go first): a render rereads its header and index, rarely the rest. */
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
/** A store that stops answering fails the GET (ffmpeg's own read timeout is the same). */
const UPSTREAM_TIMEOUT_MS = 15_000;

export type RangeCache = {
  /** The loopback URL ffmpeg and ffprobe read instead of the source. */
  url: string;
  close(): Promise<void>;
};

export type RangeCacheOptions = { cacheBytes?: number };

/** The store answered a block's GET with this status: the reader gets it too, so ffmpeg reports it as it would. */
class UpstreamRefused extends Error {
  constructor(readonly status: number) {
    super(`the store answered ${status}`);
  }
}

/** One ranged GET on its way, and how many readers wait for one of its blocks. */
type Span = { readers: number; blocks: number[]; cut: AbortController; settled: boolean };

type ObjectFacts = { size: number; etag: string | undefined; contentType: string | undefined };

/** `bytes=N-` or `bytes=N-M`; anything else is ignored, as HTTP allows, and the whole object is sent. */
function requestedRange(header: string | undefined): { start: number; end: number | undefined } | undefined {
  const match = header === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  return { start: Number(match[1]), end: match[2] ? Number(match[2]) : undefined };
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startRangeCache(source: string, options: RangeCacheOptions = {}): Promise<RangeCache> {
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const closing = new AbortController();
  /** Every block held or on its way, least recently used first. */
  const blocks = new Map<number, Promise<Buffer>>();
  const blockSizes = new Map<number, number>();
  /** The GET each block on its way comes with. */
  const spans = new Map<number, Span>();
  let cachedBytes = 0;
  let facts: ObjectFacts | undefined;

  /** Blocks [first, first + count) in one GET; learns the object's size and version from the first answer. */
  async function fetchSpan(first: number, count: number, signal: AbortSignal): Promise<Buffer> {
    const start = first * BLOCK_BYTES;
    const end = Math.min((first + count) * BLOCK_BYTES, facts?.size ?? Infinity) - 1;
    const headers: Record<string, string> = { range: `bytes=${start}-${end}` };
    // Every block comes from the same version of the object, or the read fails.
    if (facts?.etag) headers['if-match'] = facts.etag;
    const answer = await fetch(source, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(UPSTREAM_TIMEOUT_MS)]) });
    if (answer.status !== 206 && answer.status !== 200 && answer.status !== 416) {
      await answer.body?.cancel();
      throw new UpstreamRefused(answer.status);
    }
    // 200: the store sent the whole object (it ignored the range); 416: the range starts past its end.
    const body = answer.status === 416 ? (await answer.body?.cancel(), Buffer.alloc(0)) : Buffer.from(await answer.arrayBuffer());
    const total = answer.status === 200 ? body.length : Number(/\/(\d+)$/.exec(answer.headers.get('content-range') ?? '')?.[1]);
    if (!Number.isSafeInteger(total)) throw new Error("the store answered a range without the object's size");
    facts ??= { size: total, etag: answer.headers.get('etag') ?? undefined, contentType: answer.headers.get('content-type') ?? undefined };
    return answer.status === 200 ? body.subarray(start, end + 1) : body;
  }

  function remember(index: number, size: number) {
    blockSizes.set(index, size);
    cachedBytes += size;
    for (const [old, oldSize] of blockSizes) {
      if (cachedBytes <= cacheBytes) break;
      if (old === index) continue;
      blockSizes.delete(old);
      blocks.delete(old);
      cachedBytes -= oldSize;
    }
  }

  /** Starts fetching the blocks of [first, first + count) neither held nor on their way, in one GET per gap, for `waits`. */
  function prefetch(first: number, count: number, waits: Set<Span>) {
    const last = Math.min(first + count, facts ? Math.ceil(facts.size / BLOCK_BYTES) : first + 1);
    for (let index = first; index < last; ) {
      if (blocks.has(index)) {
        index += 1;
        continue;
      }
      let gapEnd = index + 1;
      while (gapEnd < last && !blocks.has(gapEnd)) gapEnd += 1;
      const span: Span = { readers: 1, blocks: [], cut: new AbortController(), settled: false };
      waits.add(span);
      const fetched = fetchSpan(index, gapEnd - index, AbortSignal.any([closing.signal, span.cut.signal])).finally(() => {
        span.settled = true;
        for (const block of span.blocks) if (spans.get(block) === span) spans.delete(block);
      });
      for (let block = index; block < gapEnd; block += 1) {
        const offset = (block - index) * BLOCK_BYTES;
        const part = fetched.then((bytes) => {
          const slice = bytes.subarray(offset, offset + BLOCK_BYTES);
          if (blocks.get(block) === part) remember(block, slice.length);
          return slice;
        });
        // A failed or cut GET is forgotten, so the next reader asks again.
        part.catch(() => {
          if (blocks.get(block) === part) blocks.delete(block);
        });
        blocks.set(block, part);
        spans.set(block, span);
        span.blocks.push(block);
      }
      index = gapEnd;
    }
  }

  /** The block, from the cache or the store; whoever waits for it keeps its GET going. */
  function block(index: number, waits: Set<Span>): Promise<Buffer> {
    prefetch(index, 1, waits);
    const held = blocks.get(index);
    if (held === undefined) return Promise.resolve(Buffer.alloc(0)); // past the end of the object
    const span = spans.get(index);
    if (span && !waits.has(span)) {
      waits.add(span);
      span.readers += 1;
    }
    // Least recently used goes first: a block read again moves to the back.
    const size = blockSizes.get(index);
    if (size !== undefined) {
      blocks.delete(index);
      blocks.set(index, held);
      blockSizes.delete(index);
      blockSizes.set(index, size);
    }
    return held;
  }

  /** A reader stops waiting: a GET that no reader waits for is cut off, and its blocks are forgotten at once. */
  function release(waits: Set<Span>) {
    for (const span of waits) {
      span.readers -= 1;
      if (span.readers > 0 || span.settled || span.cut.signal.aborted) continue;
      for (const index of span.blocks) {
        if (spans.get(index) !== span) continue;
        spans.delete(index);
        blocks.delete(index);
      }
      span.cut.abort();
    }
    waits.clear();
  }

  /** Where a short answer ended, and the run its reader gets when it comes back there for the rest. */
  const continuations = new Map<number, number>();

  /**
   * Where the answer to a range from block `first` ends: at the first block neither held nor on its
   * way. The reader asks again for the rest (ffmpeg's `-reconnect`), so no block is fetched that it
   * did not come back for: whatever an answer is, the kernel takes it long before the reader reads
   * it, and a reader that has what it needs (ffmpeg, once it has a header or a frame) hangs up unread.
   */
  function answerEnd(first: number, requestedEnd: number): number {
    const lastBlock = Math.floor(requestedEnd / BLOCK_BYTES);
    let index = first + 1;
    while (index <= lastBlock && blocks.has(index)) index += 1;
    return Math.min(requestedEnd, index * BLOCK_BYTES - 1);
  }

  async function answer(req: IncomingMessage, res: ServerResponse, path: string) {
    if (req.url !== path) return void res.writeHead(404).end();
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    const waits = new Set<Span>();
    let hungUp = false;
    res.once('close', () => {
      hungUp = true;
      release(waits);
    });
    const range = requestedRange(req.headers.range);
    const start = range?.start ?? 0;
    const first = Math.floor(start / BLOCK_BYTES);
    // A reader back where its last answer ended has read all of it: its runs grow.
    const run = continuations.get(start) ?? 1;
    continuations.delete(start);
    const wanted = range?.end === undefined ? run : Math.floor(range.end / BLOCK_BYTES) - first + 1;
    if (!blocks.has(first)) prefetch(first, Math.max(1, Math.min(run, wanted)), waits);
    try {
      await block(first, waits);
    } catch (error) {
      return void res.writeHead(error instanceof UpstreamRefused ? error.status : 502).end();
    }
    const { size, contentType } = facts!;
    if (range && start >= size) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    const requestedEnd = Math.min(range?.end ?? size - 1, size - 1);
    // Without a range the whole object is the answer (HTTP allows no less); ffmpeg always sends one.
    const end = range ? answerEnd(first, requestedEnd) : requestedEnd;
    if (end < requestedEnd) {
      if (continuations.size >= MAX_CONTINUATIONS) continuations.clear();
      continuations.set(end + 1, Math.min(run * 2, MAX_RUN_BLOCKS));
    }
    res.writeHead(range ? 206 : 200, {
      'accept-ranges': 'bytes',
      'content-length': String(Math.max(0, end - start + 1)),
      ...(range && { 'content-range': `bytes ${start}-${end}/${size}` }),
      ...(contentType && { 'content-type': contentType }),
    });
    if (req.method === 'HEAD' || end < start) return void res.end();
    const lastBlock = Math.floor(end / BLOCK_BYTES);
    // Only a whole-object answer meets blocks neither held nor on their way (or ones let go since).
    let missRun = 1;
    for (let index = first; index <= lastBlock; index += 1) {
      if (!blocks.has(index)) {
        prefetch(index, Math.min(missRun, lastBlock - index + 1), waits);
        missRun = Math.min(missRun * 2, MAX_RUN_BLOCKS);
      }
      const bytes = await block(index, waits);
      if (hungUp) return;
      // The next GET waits until the reader's socket has taken this block.
      if (!res.write(bytes.subarray(Math.max(0, start - index * BLOCK_BYTES), end + 1 - index * BLOCK_BYTES))) await drainedOrClosed(res);
      if (hungUp) return;
    }
    res.end();
  }

  const path = `/${randomUUID()}`;
  const server = createServer((req, res) => {
    answer(req, res, path).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${path}`,
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
