// Finds free TCP ports on loopback, for components whose port must be known before they start.
// Ports come from below the kernel's ephemeral range: one the kernel picked (port 0) is handed to
// the next outgoing connection of any process once its probe closes, so a store told to bind it
// can find it taken. It only probes 127.0.0.1, never a public interface.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port handed out: above the ports services are commonly configured on. */
const LOWEST_PORT = 10_000;
/** Linux's default ephemeral range, for a system that does not say. */
const DEFAULT_EPHEMERAL_LOW = 32_768;

/** The first port of the kernel's ephemeral range (ports it gives outgoing connections). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST_PORT ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port with `count` free loopback ports from it on (a cluster's replicas, then its store). */
export async function freePortRange(count: number): Promise<number> {
  const span = ephemeralLow() - LOWEST_PORT - count;
  for (;;) {
    const base = LOWEST_PORT + Math.floor(Math.random() * span);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await portFree(port);
    if (free) return base;
  }
}

export function freePort(): Promise<number> {
  return freePortRange(1);
}
