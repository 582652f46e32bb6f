// A response sent while its request still has body bytes the app has not read (a refused upload:
// 413, 415, 429, a bad form; any body refused before it was parsed) says `Connection: close`, and
// the connection then closes in stages (RFC 9112 §9.6): the answer and our FIN go out, what the
// client still sends is read and dropped for a short linger, and the socket closes when the client
// hangs up or the linger ends. Closing at once with unread bytes would make the kernel send a
// reset, which can reach a client still writing its body before it has read the answer (its write
// fails with EPIPE, and it never sees the 413/415/429). The rest of a refused body is never read
// beyond that linger, and a connection is never kept alive behind a body nobody will read.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';

/** How long a refused request's connection stays half-open after its answer: ample for a client to read it, too short to be worth holding. */
const LINGER_MS = 2_000;

/**
 * Node ends a `Connection: close` response with `socket.destroySoon()` (its own FIN, then a
 * destroy as soon as that is flushed), and offers no lingering close (nodejs/node#54366): this
 * socket's destroySoon is replaced by one that lingers.
 */
function closeInStages(request: FastifyRequest): void {
  const socket = request.raw.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    // Whoever read the body (the multipart parser) is done with it: drop the rest as it arrives.
    request.raw.unpipe();
    request.raw.resume();
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  };
}

export default fp(
  async function refusedBodies(app: FastifyInstance) {
    app.addHook('onSend', async (request, reply) => {
      // Not all received yet, or received into a buffer nobody reads (a pipe stopped by a refusal).
      if (request.raw.complete && request.raw.readableLength === 0) return;
      reply.header('connection', 'close');
      closeInStages(request);
    });
  },
  { name: 'refused-bodies' },
);
