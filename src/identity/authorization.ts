import { LatchkeyError } from '../shared/errors.js';
import type { PermissionRepository } from './ports.js';
import type { EffectivePermission } from './types.js';

/**
 * Answers "may this user do that here?" from storage on every call: permissions
 * in a token are a snapshot for the client, never a basis for a decision.
 */
export class Authorization {
  constructor(private readonly permissions: PermissionRepository) {}

  effective(appId: string, userId: string): Promise<EffectivePermission[]> {
    return this.permissions.effectivePermissions(appId, userId);
  }

  /** Held globally, or in one of `orgIds` when given. */
  async has(appId: string, userId: string, permission: string, orgIds: string[] = []): Promise<boolean> {
    const held = await this.effective(appId, userId);
    return held.some((p) => p.name === permission && (p.orgId === '' || orgIds.includes(p.orgId)));
  }

  async require(appId: string, userId: string, permission: string, orgIds: string[] = []): Promise<void> {
    if (!(await this.has(appId, userId, permission, orgIds))) {
      throw new LatchkeyError(
        'forbidden',
        `User "${userId}" does not have sufficient permissions to access this resource`,
      );
    }
  }
}
