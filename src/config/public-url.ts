/** Hosts that mean "every interface": nobody can browse to them, so links use the loopback address. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The `publicUrl` of a server that was not told one: where it listens, `http://<host>:<port>`.
 * A wildcard host (0.0.0.0, ::) becomes 127.0.0.1, which reaches either kind of listener on the
 * same machine; an IPv6 address gets its brackets. Behind a proxy or under another name, set
 * publicUrl instead.
 */
export function listeningUrl(host: string, port: number): string {
  const name = WILDCARD_HOSTS.has(host)
    ? '127.0.0.1'
    : host.includes(':') && !host.startsWith('[')
      ? `[${host}]`
      : host;
  return new URL(`http://${name}:${port}`).origin;
}
