// Where a webhook may be sent: https to a public address, or, on the local target, http(s) to a
// loopback receiver. Every other range (private, link-local, unique-local, CGNAT, multicast,
// unspecified, reserved, cloud metadata) is refused, when an endpoint is created and again for each
// attempt after DNS resolution; an attempt then connects only to the addresses checked here (see
// `pinnedLookup`), so a name cannot resolve to one address for the check and another for the
// connection. It never connects anywhere itself.
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { WebhookUrlRefused } from '../domain/errors.js';

export type ResolvedAddress = { address: string; family: number };
/** Every address a host name has; the system resolver unless a caller hands another. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** Loopback is a receiver on this very machine: allowed on the local target only. */
export type AddressPolicy = { allowLoopback: boolean };

/** Instance metadata services (AWS IPv4 and IPv6, Alibaba), named so a refusal says what they are. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'].map((address) => ipaddr.parse(address).toNormalizedString()));

const RANGE_NAMES: Record<string, string> = {
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  loopback: 'a loopback address (allowed on the local target only)',
};

/** Why the service may not send to this IP address, or undefined when it may. */
export function addressRefusal(address: string, policy: AddressPolicy): string | undefined {
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it reaches.
  const ip = ipaddr.process(address);
  if (METADATA_ADDRESSES.has(ip.toNormalizedString())) return 'a cloud metadata address';
  const range = ip.range();
  if (range === 'unicast' || (range === 'loopback' && policy.allowLoopback)) return undefined;
  return RANGE_NAMES[range] ?? `a special-purpose address (${range})`;
}

const isLoopback = (address: string) => ipaddr.process(address).range() === 'loopback';

/** The host as the URL names it: an IPv6 literal without its brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The URL's rules that need no resolution (scheme, credentials, plain http only to loopback on the local target), checked at creation and for each attempt. */
export function parseEndpointUrl(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefused('the webhook URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlRefused(`the webhook URL must be https (not ${url.protocol.slice(0, -1)})`);
  // They would be kept and shown in listings; the signature is what authenticates a delivery.
  if (url.username || url.password) throw new WebhookUrlRefused('the webhook URL may not carry a user name or password');
  if (url.protocol === 'http:') {
    const host = hostOf(url);
    const loopbackHost = host === 'localhost' || (isIP(host) !== 0 && isLoopback(host));
    if (!policy.allowLoopback || !loopbackHost) throw new WebhookUrlRefused('the webhook URL must be https (plain http is only for a loopback receiver on the local target)');
  }
  return url;
}

/** How long creating an endpoint waits on DNS before keeping a name it could not resolve. */
const CREATION_RESOLVE_TIMEOUT_MS = 5_000;

/** The resolver's answer, or the signal's reason once it aborts (the lookup itself cannot be stopped). */
function resolveUntil(resolve: HostResolver, host: string, signal: AbortSignal): Promise<ResolvedAddress[]> {
  signal.throwIfAborted();
  return new Promise((fulfil, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    resolve(host).then(fulfil, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The addresses an attempt at `url` may connect to: the literal, or every address the name resolves
 * to, each one allowed (one refused address refuses the URL). Plain http must reach loopback only.
 * Throws WebhookUrlRefused for a refused address; a resolution failure (or the signal's end) is the
 * resolver's error (or the signal's reason).
 */
export async function allowedAddresses(url: URL, policy: AddressPolicy, resolve: HostResolver, signal: AbortSignal): Promise<ResolvedAddress[]> {
  const host = hostOf(url);
  const family = isIP(host);
  const addresses = family !== 0 ? [{ address: host, family }] : await resolveUntil(resolve, host, signal);
  for (const { address } of addresses) {
    const refusal = url.protocol === 'http:' && !isLoopback(address) ? 'not a loopback address (plain http is for a loopback receiver only)' : addressRefusal(address, policy);
    if (refusal) throw new WebhookUrlRefused(family !== 0 ? `the webhook URL points at ${refusal}` : `the webhook host "${host}" resolves to ${address}: ${refusal}`);
  }
  if (addresses.length === 0) throw Object.assign(new Error(`the webhook host "${host}" has no address`), { code: 'ENOTFOUND' });
  return addresses;
}

/**
 * An endpoint URL as it is kept (normalized), or WebhookUrlRefused saying why not. A name is
 * resolved now to refuse one that reaches a refused address; a name that does not resolve (yet, or
 * within a few seconds) is kept: each attempt resolves and checks it again.
 */
export async function checkEndpointUrl(raw: string, policy: AddressPolicy, resolve: HostResolver = systemResolver): Promise<string> {
  const url = parseEndpointUrl(raw, policy);
  try {
    await allowedAddresses(url, policy, resolve, AbortSignal.timeout(CREATION_RESOLVE_TIMEOUT_MS));
  } catch (error) {
    if (error instanceof WebhookUrlRefused) throw error;
  }
  return url.href;
}

/**
 * A `lookup` for node's HTTP clients that answers with these (checked) addresses only, so the
 * connection goes to what was checked: no second resolution an attacker's DNS could answer differently.
 */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const matching = wanted === 0 ? addresses : addresses.filter((address) => address.family === wanted);
    const first = matching[0];
    if (!first) {
      callback(Object.assign(new Error(`no IPv${wanted} address among the checked ones`), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    if (options.all) callback(null, matching);
    else callback(null, first.address, first.family);
  };
}
