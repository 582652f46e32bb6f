// The webhook address rules: every refused class of address, as a literal and as what a name
// resolves to (with an injected resolver), the scheme rules of each target, an attempt that
// connects to the very address its one resolution checked (a real receiver on loopback, reached by
// a name only the injected resolver knows), and resolution bounded when the resolver never answers.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookUrlRefused } from '../../src/domain/errors.js';
import { addressRefusal, checkEndpointUrl, type HostResolver, type ResolvedAddress } from '../../src/webhooks/endpoint-address.js';
import { attemptDelivery } from '../../src/webhooks/delivery-attempt.js';
import { newSigningSecret } from '../../src/webhooks/signing-secrets.js';

const local = { allowLoopback: true };
const aws = { allowLoopback: false };

/** A resolver that knows only the names given, and counts what it was asked. */
function fakeResolver(names: Record<string, string[]>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => {
      if (!(error instanceof WebhookUrlRefused)) throw error;
      return error.message;
    },
  );

const REFUSED: Array<[string, string, RegExp]> = [
  ['private 10/8', '10.1.2.3', /private/],
  ['private 172.16/12', '172.20.0.1', /private/],
  ['private 192.168/16', '192.168.1.10', /private/],
  ['link-local IPv4', '169.254.10.20', /link-local/],
  ['link-local IPv6', 'fe80::1', /link-local/],
  ['unique-local IPv6', 'fd12:3456::1', /unique-local/],
  ['CGNAT', '100.64.0.1', /carrier-grade NAT/],
  ['multicast IPv4', '224.0.0.251', /multicast/],
  ['multicast IPv6', 'ff02::1', /multicast/],
  ['unspecified IPv4', '0.0.0.0', /unspecified/],
  ['unspecified IPv6', '::', /unspecified/],
  ['broadcast', '255.255.255.255', /broadcast/],
  ['AWS metadata', '169.254.169.254', /metadata/],
  ['AWS IPv6 metadata', 'fd00:ec2::254', /metadata/],
  ['Alibaba metadata', '100.100.100.200', /metadata/],
  ['IPv4-mapped private', '::ffff:10.0.0.1', /private/],
  ['documentation range', '192.0.2.7', /special-purpose/],
];

t.test('each refused class of address, on either target; public addresses pass', async (t) => {
  for (const [what, address, reason] of REFUSED) {
    t.match(addressRefusal(address, local), reason, `${what} (${address}) on the local target`);
    t.match(addressRefusal(address, aws), reason, `${what} (${address}) on aws`);
  }
  t.match(addressRefusal('127.0.0.1', aws), /loopback/, 'loopback on aws');
  t.match(addressRefusal('::1', aws), /loopback/, 'IPv6 loopback on aws');
  t.equal(addressRefusal('127.0.0.1', local), undefined, 'loopback on the local target');
  t.equal(addressRefusal('127.9.9.9', local), undefined, 'all of 127/8 is loopback');
  t.equal(addressRefusal('93.184.216.34', aws), undefined, 'a public IPv4 address');
  t.equal(addressRefusal('2606:2800:220:1::1', aws), undefined, 'a public IPv6 address');
});

t.test('endpoint URLs: literals are checked, and so is every address a name resolves to', async (t) => {
  const resolve = fakeResolver({
    'hooks.example.com': ['93.184.216.34'],
    'intranet.example.com': ['10.0.0.5'],
    'split.example.com': ['93.184.216.34', '192.168.0.9'],
    'metadata.example.com': ['169.254.169.254'],
    'sneaky-v6.example.com': ['2606:2800:220:1::1', 'fd00::7'],
    'localhost': ['127.0.0.1', '::1'],
  });
  t.equal(await checkEndpointUrl('https://hooks.example.com/in?x=1', aws, resolve), 'https://hooks.example.com/in?x=1');
  t.equal(await checkEndpointUrl('https://93.184.216.34/in', aws, resolve), 'https://93.184.216.34/in');
  t.equal(await checkEndpointUrl('https://not-yet.example.com/in', aws, resolve), 'https://not-yet.example.com/in', 'a name that does not resolve yet is kept (each attempt checks it again)');

  for (const [what, address, reason] of REFUSED) {
    const host = address.includes(':') ? `[${address}]` : address;
    t.match(await refusalOf(checkEndpointUrl(`https://${host}/in`, local, resolve)), reason, `the literal ${what}`);
  }
  t.match(await refusalOf(checkEndpointUrl('https://intranet.example.com/', aws, resolve)), /resolves to 10\.0\.0\.5: a private address/, 'a name resolving to a private address');
  t.match(await refusalOf(checkEndpointUrl('https://split.example.com/', aws, resolve)), /resolves to 192\.168\.0\.9/, 'one private address among public ones');
  t.match(await refusalOf(checkEndpointUrl('https://metadata.example.com/', aws, resolve)), /metadata/, 'a name for the metadata service');
  t.match(await refusalOf(checkEndpointUrl('https://sneaky-v6.example.com/', aws, resolve)), /fd00::7: a unique-local/, 'a unique-local IPv6 address behind a name');
  t.match(await refusalOf(checkEndpointUrl('https://2130706433/', aws, resolve)), /loopback/, 'an integer spelling of 127.0.0.1 is read as the address it is');
});

t.test('schemes: https everywhere, http only to loopback on the local target; no credentials', async (t) => {
  const resolve = fakeResolver({ localhost: ['127.0.0.1', '::1'], 'hooks.example.com': ['93.184.216.34'], 'fake-local.example.com': ['127.0.0.1'] });
  t.equal(await checkEndpointUrl('http://127.0.0.1:8080/hook', local, resolve), 'http://127.0.0.1:8080/hook');
  t.equal(await checkEndpointUrl('http://[::1]:8080/hook', local, resolve), 'http://[::1]:8080/hook');
  t.equal(await checkEndpointUrl('http://localhost:8080/hook', local, resolve), 'http://localhost:8080/hook');
  t.equal(await checkEndpointUrl('https://localhost:8443/hook', local, resolve), 'https://localhost:8443/hook');
  for (const [url, what, reason] of [
    ['http://hooks.example.com/', 'plain http to a public host', /must be https/],
    ['http://fake-local.example.com/', 'plain http to a name (even one resolving to loopback)', /must be https/],
    ['http://127.0.0.1:8080/', 'plain http to loopback on aws', /must be https/],
    ['https://127.0.0.1:8443/', 'https to loopback on aws', /loopback/],
    ['https://localhost/', 'localhost on aws', /loopback/],
    ['ftp://hooks.example.com/', 'another scheme', /must be https \(not ftp\)/],
    ['https://user:pw@hooks.example.com/', 'credentials in the URL', /user name or password/],
    ['not a url', 'no URL at all', /not a URL/],
  ] as const) {
    const policy = /aws/.test(what) ? aws : local;
    t.match(await refusalOf(checkEndpointUrl(url, policy, resolve)), reason, what);
  }
});

t.test('an attempt resolves once, refuses before connecting, and connects to the address it checked', async (t) => {
  const received: Array<{ host?: string; id?: string }> = [];
  const receiver = createServer((request, response) => {
    received.push({ host: request.headers.host, id: request.headers['webhook-id'] as string });
    request.resume();
    response.writeHead(204).end();
  });
  // On 127.0.0.2, where the system's "localhost" (127.0.0.1, ::1) does not lead.
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.2', resolve));
  t.teardown(() => new Promise((resolve) => receiver.close(resolve)));
  const { port } = receiver.address() as AddressInfo;
  const secret = newSigningSecret();
  const message = (url: string) => ({ id: 'msg_01J0000000000000000000TEST', url, payload: '{"type":"tenant.ready"}', secret });
  const resolve = fakeResolver({ localhost: ['127.0.0.2'], 'rebound.test': ['10.0.0.8'] });

  t.same(await attemptDelivery(message(`http://localhost:${port}/in`), { policy: local, timeoutMs: 5_000, resolve }), { outcome: 'delivered', status: 204 }, 'delivered');
  t.same(received, [{ host: `localhost:${port}`, id: 'msg_01J0000000000000000000TEST' }], 'at the address the one resolution gave, not one the system would give');
  t.same(resolve.asked, ['localhost'], 'resolved once');

  t.match(await attemptDelivery(message(`http://rebound.test:${port}/in`), { policy: local, timeoutMs: 5_000, resolve }), { outcome: 'refused', error: /must be https/ }, 'plain http to a name is refused');
  const refused = await attemptDelivery(message(`https://rebound.test:${port}/in`), { policy: local, timeoutMs: 5_000, resolve });
  t.match(refused, { outcome: 'refused', error: /rebound\.test" resolves to 10\.0\.0\.8: a private address/ }, 'a name that now resolves to a private address');
  t.match(await attemptDelivery(message(`https://10.0.0.8:${port}/in`), { policy: local, timeoutMs: 5_000, resolve }), { outcome: 'refused', error: /private/ }, 'a literal private address');
  t.match(await attemptDelivery(message(`http://localhost:${port}/in`), { policy: aws, timeoutMs: 5_000, resolve }), { outcome: 'refused', error: /must be https/ }, 'a loopback endpoint on aws');
  t.equal(received.length, 1, 'no refused attempt reached a receiver');
  t.match(await attemptDelivery(message(`https://nowhere.test:${port}/in`), { policy: local, timeoutMs: 5_000, resolve }), { outcome: 'unreachable', error: /could not resolve.*ENOTFOUND/ }, 'a name that does not resolve');
});

t.test('a resolver that never answers: the attempt ends at its timeout; creation keeps the name after a few seconds', async (t) => {
  const silent: HostResolver = () => new Promise(() => {});
  // The bounds are AbortSignal timers, which do not keep a process alive on their own (a service's server does).
  const alive = setInterval(() => {}, 1_000);
  t.teardown(() => clearInterval(alive));
  const message = { id: 'msg_01J0000000000000000000TEST', url: 'https://silent.test/in', payload: '{}', secret: newSigningSecret() };
  t.same(await attemptDelivery(message, { policy: aws, timeoutMs: 300, resolve: silent }), { outcome: 'timed-out', error: 'no answer within 0.3 s' });
  t.equal(await checkEndpointUrl('https://silent.test/in', aws, silent), 'https://silent.test/in', 'checked again by each attempt');
});
