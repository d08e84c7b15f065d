/**
 * Which addresses a registered adapter may reach (SSRF): an admin who can register an adapter must not make the
 * gateway read its cloud metadata service, its own loopback services or link-local hosts. The host is resolved
 * (every address it resolves to is checked, so a name pointing at 169.254.169.254 is refused like the literal) and
 * the addresses are matched with node's own BlockList, which also understands IPv4-mapped IPv6 addresses.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
blocked.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, incl. cloud metadata 169.254.169.254
blocked.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": 0.0.0.0 reaches the local host
blocked.addSubnet('fe80::', 10, 'ipv6'); // link-local
blocked.addSubnet('fd00::', 8, 'ipv6'); // unique local, incl. some clouds' metadata (fd00:ec2::254)
blocked.addAddress('::', 'ipv6');
blocked.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud's metadata service
blocked.addSubnet('fec0::', 10, 'ipv6'); // site-local (deprecated, still routed by some networks)

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const family = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** An IPv6 address as its eight 16-bit groups (a trailing dotted quad is two of them), or null. */
function ipv6Groups(address: string): number[] | null {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = quad
    ? address.slice(0, quad.index) +
      [((+quad[1]! << 8) | +quad[2]!).toString(16), ((+quad[3]! << 8) | +quad[4]!).toString(16)].join(':')
    : address;
  const [head = '', tail] = text.split('::');
  const part = (t: string): number[] => (t ? t.split(':').map((g) => parseInt(g, 16)) : []);
  const groups =
    tail === undefined
      ? part(head)
      : [...part(head), ...Array<number>(8 - part(head).length - part(tail).length).fill(0), ...part(tail)];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * The IPv4 address an IPv6 address carries and reaches: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96),
 * NAT64 (64:ff9b::/96) or 6to4 (2002::/16); else the address itself.
 */
function reachedAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const g = ipv6Groups(address);
  if (!g) return address;
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || (g[5] === 0 && (g[6] !== 0 || (g[7] ?? 0) > 1)))) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return address;
}

/** Why an address is refused, or null when allowed. */
export function addressRefusal(address: string, options: { allowLoopback: boolean }): string | null {
  // An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4) is checked as that IPv4 address.
  const plain = reachedAddress(address);
  if (blocked.check(plain, family(plain))) return `${address} is a link-local, metadata or unspecified address`;
  if (!options.allowLoopback && loopback.check(plain, family(plain)))
    return `${address} is a loopback address (admin.allowLoopback is off)`;
  return null;
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/**
 * What can be told of a URL without resolving it: the scheme, credentials, a literal address (a connection to a
 * literal skips the DNS lookup, so guardedLookup never sees it). Null when nothing is refused so far.
 */
export function urlRefusal(url: URL, options: { allowLoopback: boolean }): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `scheme ${url.protocol} is not allowed (http: or https: only)`;
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  const host = hostOf(url);
  const refused = isIP(host) ? addressRefusal(host, options) : null;
  return refused ? `host ${host} resolves to ${refused}` : null;
}

/** Why a URL is refused (scheme, or any address its host resolves to), or null when allowed. */
export async function checkAddress(url: URL, options: { allowLoopback: boolean }): Promise<string | null> {
  const early = urlRefusal(url, options);
  if (early) return early;
  const host = hostOf(url);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    return `host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  for (const address of addresses) {
    const refused = addressRefusal(address, options);
    if (refused) return `host ${host} resolves to ${refused}`;
  }
  return null;
}

/** node's dns.lookup with `all: true`: every address of a name (a test may give its own resolver). */
export type AllLookup = (
  hostname: string,
  options: { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * The allow-list again at every connection: the host was resolved and checked when the definition was put, but a
 * name can be made to resolve elsewhere later (DNS rebinding); a connection to a refused address fails as an error.
 * For undici's `connect.lookup` and node's http.Agent `lookup` alike.
 */
export function guardedLookup(allowLoopback: boolean, resolve: AllLookup = dnsLookup): LookupFunction {
  return ((
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.map((a) => addressRefusal(a.address, { allowLoopback })).find((r) => r !== null);
      if (refused)
        return callback(Object.assign(new Error(`refused address: ${refused}`), { code: 'EADDRREFUSED' }), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}
