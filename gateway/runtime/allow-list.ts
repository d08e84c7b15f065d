/**
 * Which addresses a registered adapter may reach (SSRF): an admin who can register an adapter must not make the
 * gateway read its cloud metadata service, its own loopback services or link-local hosts. The host is resolved
 * (every address it resolves to is checked, so a name pointing at 169.254.169.254 is refused like the literal) and
 * the addresses are matched with node's own BlockList, which also understands IPv4-mapped IPv6 addresses.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
blocked.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, incl. cloud metadata 169.254.169.254
blocked.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": 0.0.0.0 reaches the local host
blocked.addSubnet('fe80::', 10, 'ipv6'); // link-local
blocked.addSubnet('fd00::', 8, 'ipv6'); // unique local, incl. some clouds' metadata (fd00:ec2::254)
blocked.addAddress('::', 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const family = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** Why an address is refused, or null when allowed. */
export function addressRefusal(address: string, options: { allowLoopback: boolean }): string | null {
  // An IPv4-mapped IPv6 address is checked as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const plain = mapped ?? address;
  if (blocked.check(plain, family(plain))) return `${address} is a link-local, metadata or unspecified address`;
  if (!options.allowLoopback && loopback.check(plain, family(plain))) return `${address} is a loopback address (admin.allowLoopback is off)`;
  return null;
}

/** Why a URL is refused (scheme, or any address its host resolves to), or null when allowed. */
export async function checkAddress(url: URL, options: { allowLoopback: boolean }): Promise<string | null> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not allowed (http: or https: only)`;
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  const host = url.hostname.replace(/^\[|\]$/g, '');
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
