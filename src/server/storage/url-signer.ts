// Presigned S3 URLs minted by @smithy/signature-v4 on a prepared request, without running the SDK's
// middleware stack per link: one signer per connection, its signing key cached per credentials and
// day. Signing times are aligned to a window, so repeated reads return the same (cacheable) URL, and
// each link is signed once per window (kept in memory, keyed by everything it signs, the credentials
// included). It never hands out a link that outlives the TTL asked for, and never logs a URL or a credential.
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Connection } from '../../domain/s3-connection.js';

type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];
type Identity = Exclude<Credentials, (...args: never[]) => unknown> & { expiration?: Date };

export type SignRequest = {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  bucket: string;
  key: string;
  /** More query parameters signed into the URL, e.g. UploadPart's `partNumber` and `uploadId`. */
  query?: Record<string, string>;
  /** The link expires at most this long from now: in [¾ ttl, ttl], depending on where now falls in its window. */
  ttlSeconds: number;
};

/** `expiresAt` is when the store starts refusing the URL (its signing time + X-Amz-Expires, or the credentials' end). */
export type SignedUrl = { url: string; expiresAt: Date };

export type UrlSigner = { sign(request: SignRequest): Promise<SignedUrl> };

export type UrlSignerOptions = {
  /** Static keys (local store) or a refreshing provider (AWS: the S3 client's own default chain, session tokens included). */
  credentials: Credentials;
  /** The clock, in epoch milliseconds (tests move it). */
  now?: () => number;
};

/**
 * A signing time is the start of its window, a quarter of the TTL: every URL for the same object
 * and TTL within a window is the same string (a browser or CDN caches the object under it, for up
 * to a quarter of an hour at the default TTL), and it still has at least three quarters of its TTL
 * to live when handed out. Windows start on the epoch, so every replica mints the same URL too.
 */
const WINDOWS_PER_TTL = 4;
/** The signing window of a link with `ttlSeconds` that is signed at `nowMs`: its start and end, in epoch seconds. */
export function signingWindow(ttlSeconds: number, nowMs: number): { start: number; end: number } {
  const length = Math.max(1, Math.floor(ttlSeconds / WINDOWS_PER_TTL));
  const start = Math.floor(nowMs / 1000 / length) * length;
  return { start, end: start + length };
}

/** Links kept per window and TTL: past it the window's links are dropped and signed again as asked for (a bound on memory). */
const MAX_LINKS_PER_WINDOW = 10_000;
/** S3's payload hash for presigned requests: the body (a part, for a PUT) is not part of the signature. */
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 percent-encoding, as SigV4 canonicalises (encodeURIComponent leaves !'()* alone). */
const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const encodeKey = (key: string) => key.split('/').map(encode).join('/');

/** A bucket name the SDK addresses as `<bucket>.s3.<region>…` on AWS (no dots, so the TLS wildcard matches). */
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

type Address = { protocol: string; hostname: string; port?: number; path: string };

/** The region's S3 endpoint host on AWS. */
const regionalHost = (region: string) => `s3.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;

/** Where `bucket/key` lives, addressed as the S3 client addresses it: path style on the local store's endpoint, the regional endpoint on AWS. */
function addressOf(connection: S3Connection, bucket: string, key: string): Address {
  if (connection.endpoint) {
    const endpoint = new URL(connection.endpoint);
    return { protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port ? Number(endpoint.port) : undefined, path: `/${bucket}/${encodeKey(key)}` };
  }
  const host = regionalHost(connection.region);
  return VIRTUAL_HOSTABLE.test(bucket)
    ? { protocol: 'https:', hostname: `${bucket}.${host}`, path: `/${encodeKey(key)}` }
    : { protocol: 'https:', hostname: host, path: `/${bucket}/${encodeKey(key)}` };
}

/** The origins every link of this connection points at, as a page's Content-Security-Policy names them (both AWS addressing styles). */
export function linkOrigins(connection: { endpoint: string } | { region: string }): string[] {
  if ('endpoint' in connection) return [new URL(connection.endpoint).origin];
  const host = regionalHost(connection.region);
  return [`https://*.${host}`, `https://${host}`];
}

export function createUrlSigner(connection: S3Connection, options: UrlSignerOptions): UrlSigner {
  const now = options.now ?? Date.now;
  const credentials: () => Promise<Identity> = typeof options.credentials === 'function' ? options.credentials : async () => options.credentials as Identity;
  const signer = new SignatureV4({ service: 's3', region: connection.region, credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });

  /** The links signed in the current window of each TTL: `ttl` → its window's start and the links by what they sign. */
  const windows = new Map<number, { signedAt: number; links: Map<string, SignedUrl> }>();

  /** The window's links for `ttlSeconds`, a new (empty) set once the window has moved on or grown past its bound. */
  function linksOf(ttlSeconds: number, signedAt: number): Map<string, SignedUrl> {
    const current = windows.get(ttlSeconds);
    if (current?.signedAt === signedAt && current.links.size < MAX_LINKS_PER_WINDOW) return current.links;
    const links = new Map<string, SignedUrl>();
    windows.set(ttlSeconds, { signedAt, links });
    return links;
  }

  return {
    async sign({ method, bucket, key, query = {}, ttlSeconds }) {
      const signedAt = signingWindow(ttlSeconds, now()).start;
      const identity = await credentials();
      // Everything the signature covers, and the credentials it is made with (rotated keys sign anew).
      const signed = JSON.stringify([method, bucket, key, Object.entries(query).sort(), identity.accessKeyId, identity.sessionToken ?? null, identity.expiration?.getTime() ?? null]);
      const links = linksOf(ttlSeconds, signedAt);
      const known = links.get(signed);
      if (known) return known;
      const { protocol, hostname, port, path } = addressOf(connection, bucket, key);
      const host = port === undefined ? hostname : `${hostname}:${port}`;
      const presigned = await signer.presign(
        { method, protocol, hostname, port, path, query: { ...query }, headers: { host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD } },
        { signingDate: new Date(signedAt * 1000), expiresIn: ttlSeconds },
      );
      const search = Object.entries(presigned.query ?? {})
        .map(([name, value]) => `${encode(name)}=${encode(String(value))}`)
        .join('&');
      // Temporary credentials end the link with them, whatever X-Amz-Expires says.
      const expiresAt = Math.min((signedAt + ttlSeconds) * 1000, identity.expiration?.getTime() ?? Infinity);
      const link = { url: `${protocol}//${host}${path}?${search}`, expiresAt: new Date(expiresAt) };
      // Kept only when signed with the credentials it is kept under (a provider may have rotated them in between).
      if (String(presigned.query?.['X-Amz-Credential']).startsWith(`${identity.accessKeyId}/`)) links.set(signed, link);
      return link;
    },
  };
}
