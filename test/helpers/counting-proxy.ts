// A loopback HTTP proxy that forwards every request unchanged and counts the requests and the bytes it
// answers with: how the thumbnail test and bench measure reads. It never alters, caches or retries a request.
import { createServer, request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Paced answers go out in slices of at least this size, one every 2 ms at most, so timers keep up with fast rates. */
const PACED_SLICE_BYTES = 16 * 1024;
const PACED_SLICE_MS = 2;

export type CountingProxy = {
  /** The proxy's base URL: the S3 endpoint for clients whose reads are counted. */
  url: string;
  /** The bytes answered since the last call; resets the count. */
  take(): number;
  /** The requests forwarded since the last call; resets the count. */
  takeRequests(): number;
  /** Resolves once no answer is in flight: a read its client gave up on has stopped counting. */
  settled(): Promise<void>;
  close(): Promise<void>;
};

export type CountingProxyOptions = {
  /**
   * Sends answers at this rate. Unpaced, loopback socket buffers take megabytes of an open-ended
   * range (`bytes=N-`) before a client that only needed its start hangs up, and all of it counts.
   */
  bytesPerSecond?: number;
};

async function* paced(source: AsyncIterable<Buffer>, bytesPerSecond: number): AsyncGenerator<Buffer> {
  const sliceBytes = Math.max(PACED_SLICE_BYTES, Math.round((bytesPerSecond * PACED_SLICE_MS) / 1000));
  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.length; offset += sliceBytes) {
      const slice = chunk.subarray(offset, offset + sliceBytes);
      await sleep((slice.length / bytesPerSecond) * 1000);
      yield slice;
    }
  }
}

/** Forwards to `target` with the Host header kept, so signatures made for the proxy's URL hold. */
export async function countingProxy(target: string, options: CountingProxyOptions = {}): Promise<CountingProxy> {
  const upstream = new URL(target);
  let bytes = 0;
  let requests = 0;
  let open = 0;
  let waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    requests += 1;
    open += 1;
    res.once('close', () => {
      open -= 1;
      if (open > 0) return;
      for (const resolve of waiters) resolve();
      waiters = [];
    });
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const body = options.bytesPerSecond ? Readable.from(paced(answer, options.bytesPerSecond), { objectMode: false }) : answer;
      body.on('data', (chunk: Buffer) => (bytes += chunk.length));
      // A client that hangs up while a paced slice waits ends the generator with a premature close
      // after the pipeline has let go of it: that is the hang-up, already handled below.
      body.on('error', () => undefined);
      // A client that hangs up early (ffmpeg does, once it has what it needs) ends the upstream read too.
      pipeline(body, res).catch(() => answer.destroy());
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    take() {
      const taken = bytes;
      bytes = 0;
      return taken;
    },
    settled: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    takeRequests() {
      const taken = requests;
      requests = 0;
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
