// A loopback HTTP proxy in front of the object store that forwards every request, and holds back
// the store's answer to the ones a test picks: the store has acted, the client waits on. How a test
// freezes an engine's provider inside a known call, with no race against the engine's own work.
// It never alters a request or an answer; a held answer is delivered unchanged on release().
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';

export type HoldingProxy = {
  /** The proxy's base URL: the S3 endpoint for the client whose calls may be held. */
  url: string;
  /** How many answers are held right now (each one the store has already given). */
  held(): number;
  /** Delivers every held answer and holds no more. */
  release(): void;
  close(): Promise<void>;
};

/** `hold` picks the requests whose answers wait for release(); every other one passes at once. */
export async function holdingProxy(target: string, hold: (request: IncomingMessage) => boolean): Promise<HoldingProxy> {
  const upstream = new URL(target);
  let holding = true;
  const pending: Array<() => void> = [];
  const server = createServer((req, res) => {
    const held = holding && hold(req);
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const deliver = () => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        pipeline(answer, res).catch(() => answer.destroy());
      };
      if (held && holding) pending.push(deliver);
      else deliver();
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => pending.length,
    release() {
      holding = false;
      pending.splice(0).forEach((deliver) => deliver());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A path-style request with `method` on the bucket itself, not on a key: PUT is CreateBucket, HEAD is HeadBucket. */
export const onBucket = (method: string, bucket: string) => (request: IncomingMessage) =>
  request.method === method && new URL(request.url ?? '/', 'http://store').pathname.replace(/\/$/, '') === `/${bucket}`;
