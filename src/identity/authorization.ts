import { type Clock, systemClock } from '../shared/clock.js';
import { Access, forbidden } from './access.js';
import type { EffectivePermission } from './types.js';

/** Where effective permissions come from (the permission repository). */
export interface EffectivePermissionSource {
  /** With `now`, grants of org memberships expired by then do not count. */
  effectivePermissions(appId: string, userId: string, now?: number): Promise<EffectivePermission[]>;
}

/** Who is asking; `access()` reads their permissions at most once. */
export interface Caller {
  readonly userId: string;
  access(): Promise<Access>;
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

  /**
   * The caller of one request, whose permissions are read the first time a check needs
   * them and then kept for that request. Reading yourself needs no permission, so the
   * most frequent authenticated call (user.info on self) costs no permission query.
   */
  callerOf(appId: string, userId: string): Caller {
    let access: Promise<Access> | undefined;
    return { userId, access: () => (access ??= this.accessOf(appId, userId)) };
  }

  /** Held globally, or in one of `orgIds` when given. */
  async has(appId: string, userId: string, permission: string, orgIds: string[] = []): Promise<boolean> {
    return (await this.accessOf(appId, userId)).has(permission, orgIds);
  }

  async require(appId: string, userId: string, permission: string, orgIds: string[] = []): Promise<void> {
    if (!(await this.has(appId, userId, permission, orgIds))) throw forbidden(userId);
  }
}
