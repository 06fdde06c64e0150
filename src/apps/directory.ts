import { LRUCache } from 'lru-cache';
import { type AppService, parseAppQName } from '../identity/apps.js';
import { type App, appQName } from '../identity/types.js';
import { LatchkeyError } from '../shared/errors.js';

/**
 * Resolves the `{owner}/{app}` of an apps request to its tenant. Every app except the
 * default one (which belongs to the rpc dialect) is served. Found apps are cached for
 * a few seconds: a removal is seen at once on this node and within `ttlMs` on others,
 * and the tokens of a removed app stop working at once anyway (its sessions are revoked).
 */
export class AppDirectory {
  private readonly cache: LRUCache<string, App>;

  constructor(
    private readonly apps: AppService,
    private readonly defaultApp: App,
    options: { ttlMs?: number } = {},
  ) {
    this.cache = new LRUCache({ max: 1000, ttl: options.ttlMs ?? 5000 });
  }

  /** The app of a request path; invalid_input for a malformed or unknown one. */
  async resolve(owner: string, name: string): Promise<App> {
    const qname = `${owner}/${name}`;
    const cached = this.cache.get(qname);
    if (cached) return cached;
    parseAppQName(qname);
    const app = await this.apps.find(qname);
    if (!app || app.id === this.defaultApp.id)
      throw new LatchkeyError('invalid_input', `unknown app: ${qname}`);
    this.cache.set(qname, app);
    return app;
  }

  evict(app: Pick<App, 'owner' | 'name'>): void {
    this.cache.delete(appQName(app));
  }
}
