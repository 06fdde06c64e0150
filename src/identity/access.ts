import { LatchkeyError } from '../shared/errors.js';
import type { EffectivePermission } from './types.js';

export function forbidden(userId: string): LatchkeyError {
  return new LatchkeyError(
    'forbidden',
    `User "${userId}" does not have sufficient permissions to access this resource`,
  );
}

/**
 * What a caller may do, read from storage for the request at hand (never from a token).
 * A permission counts when it is granted globally, or in the org the action concerns.
 */
export class Access {
  constructor(
    readonly userId: string,
    readonly grants: readonly EffectivePermission[],
  ) {}

  /** Held globally, or in one of `orgIds`. */
  has(permission: string, orgIds: readonly (string | null)[] = []): boolean {
    return this.grants.some(
      (g) => g.name === permission && (g.orgId === '' || orgIds.some((o) => o !== null && o === g.orgId)),
    );
  }

  hasGlobally(permission: string): boolean {
    return this.grants.some((g) => g.name === permission && g.orgId === '');
  }

  /** The orgs where `permission` is held (global grants aside). */
  orgsWith(permission: string): string[] {
    return [
      ...new Set(this.grants.filter((g) => g.name === permission && g.orgId !== '').map((g) => g.orgId)),
    ];
  }

  /** Where `permission` reaches: everywhere, or these orgs. */
  reach(permission: string): 'all' | string[] {
    return this.hasGlobally(permission) ? 'all' : this.orgsWith(permission);
  }

  require(permission: string, orgIds: readonly (string | null)[] = []): void {
    if (!this.has(permission, orgIds)) throw forbidden(this.userId);
  }
}
