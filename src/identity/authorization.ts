import { type Clock, systemClock } from '../shared/clock.js';
import { Access, forbidden } from './access.js';
import type { EffectivePermission } from './types.js';

/** Where effective permissions come from (the permission repository). */
export interface EffectivePermissionSource {
  /** With `now`, grants of org memberships expired by then do not count. */
  effectivePermissions(appId: string, userId: string, now?: number): Promise<EffectivePermission[]>;
}

/**
 * Answers "may this user do that here?" from storage on every call: permissions
 * in a token are a snapshot for the client, never a basis for a decision.
 */
export class Authorization {
  constructor(
    private readonly permissions: EffectivePermissionSource,
    private readonly clock: Clock = systemClock,
  ) {}

  effective(appId: string, userId: string): Promise<EffectivePermission[]> {
    return this.permissions.effectivePermissions(appId, userId, this.clock.now());
  }

  /** The caller's permissions, read now, for the checks of one request. */
  async accessOf(appId: string, userId: string): Promise<Access> {
    return new Access(userId, await this.effective(appId, userId));
  }

  /** Held globally, or in one of `orgIds` when given. */
  async has(appId: string, userId: string, permission: string, orgIds: string[] = []): Promise<boolean> {
    return (await this.accessOf(appId, userId)).has(permission, orgIds);
  }

  async require(appId: string, userId: string, permission: string, orgIds: string[] = []): Promise<void> {
    if (!(await this.has(appId, userId, permission, orgIds))) throw forbidden(userId);
  }
}
