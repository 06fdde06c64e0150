import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { AppRepository, PermissionRepository } from './ports.js';
import { SYSTEM_PERMISSIONS } from './system-permissions.js';
import type { App } from './types.js';

const APP_PART = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function parseAppQName(qname: string): { owner: string; name: string } {
  const [owner, name, ...rest] = qname.split('/');
  if (!owner || !name || rest.length > 0 || !APP_PART.test(owner) || !APP_PART.test(name)) {
    throw new LatchkeyError('invalid_input', `invalid app QName: ${qname}`);
  }
  return { owner, name };
}

/** Tenancy: every user, session, token and limit belongs to exactly one app. */
export class AppService {
  constructor(
    private readonly apps: AppRepository,
    private readonly permissions: PermissionRepository,
    private readonly clock: Clock,
  ) {}

  /** Finds an app by `owner/name`, creating it (with its system permissions and admin role) when missing. */
  async ensure(qname: string): Promise<App> {
    const { owner, name } = parseAppQName(qname);
    let app = await this.apps.findByName(owner, name);
    if (!app) {
      app = { id: newId(), owner, name, createdAt: this.clock.now() };
      try {
        await this.apps.create(app);
      } catch (err) {
        // Another node created it at the same moment: use theirs.
        const existing = await this.apps.findByName(owner, name);
        if (!existing) throw err;
        app = existing;
      }
    }
    await this.permissions.ensureSystemObjects(app.id, SYSTEM_PERMISSIONS, this.clock.now());
    return app;
  }

  async find(qname: string): Promise<App | null> {
    const { owner, name } = parseAppQName(qname);
    return this.apps.findByName(owner, name);
  }

  list(): Promise<App[]> {
    return this.apps.list();
  }
}
