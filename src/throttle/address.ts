import { isIPv4, isIPv6 } from 'node:net';

/**
 * The part of a client address that per-address limits count under. An IPv6 client
 * usually holds a whole /64 (SLAAC, privacy addresses), so keying it by its full address
 * gives it 2^64 fresh budgets: it is keyed by its first `ipv6PrefixLength` bits instead.
 * An IPv4-mapped address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4
 * clients) is its IPv4 address. Anything else (no address) is kept as given.
 */
export function addressKey(ip: string, ipv6PrefixLength: number): string {
  if (isIPv4(ip)) return ip;
  // A zone (fe80::1%eth0) names the interface, not the client.
  const bare = ip.split('%')[0] ?? ip;
  if (!isIPv6(bare)) return ip;
  const hextets = expand(bare);
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const [hi = 0, lo = 0] = hextets.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  const masked = hextets.map((h, i) => {
    const bits = Math.max(0, Math.min(16, ipv6PrefixLength - i * 16));
    return bits === 0 ? 0 : h & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${masked.map((h) => h.toString(16)).join(':')}/${ipv6PrefixLength}`;
}

/**
 * The eight 16-bit groups of an address that `isIPv6` accepted. The URL parser writes it
 * in its canonical form first (lower case, embedded IPv4 as hex), so only `::` is left to expand.
 */
function expand(ip: string): number[] {
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)));
  const left = groups(head);
  if (tail === undefined) return left;
  const right = groups(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
