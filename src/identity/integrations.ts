import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { UserRepository } from './ports.js';

/** A service a user has enabled (the feathers dialect's `integrations`). */
export interface Integration {
  id: string;
  appId: string;
  userId: string;
  /** The service's name, e.g. `google-drive`. */
  name: string;
  createdAt: number;
}

export interface IntegrationRepository {
  /** A user's integrations, oldest first. */
  list(appId: string, userId: string): Promise<Integration[]>;
  find(appId: string, userId: string, name: string): Promise<Integration | null>;
  /** Inserts unless the user already has one of that name; true when inserted. */
  add(integration: Integration): Promise<boolean>;
  remove(appId: string, userId: string, name: string): Promise<boolean>;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function checkIntegrationName(name: string): void {
  if (!NAME.test(name)) {
    throw new LatchkeyError(
      'invalid_input',
      `Integration name "${name}" is invalid; use 1 to 64 lowercase letters, digits, '_', '-' or '.'`,
    );
  }
}

/** Per-user integrations, managed by operators (admin API), shown to the user by the feathers dialect. */
export class IntegrationService {
  constructor(
    private readonly repo: IntegrationRepository,
    private readonly users: UserRepository,
    private readonly clock: Clock,
  ) {}

  async list(appId: string, userId: string): Promise<Integration[]> {
    await this.requireUser(appId, userId);
    return this.repo.list(appId, userId);
  }

  /** Enables a service for a user; idempotent (`created` says whether it was new). */
  async enable(
    appId: string,
    userId: string,
    name: string,
  ): Promise<{ integration: Integration; created: boolean }> {
    checkIntegrationName(name);
    await this.requireUser(appId, userId);
    const integration: Integration = { id: newId(), appId, userId, name, createdAt: this.clock.now() };
    if (await this.repo.add(integration)) return { integration, created: true };
    const existing = await this.repo.find(appId, userId, name);
    if (!existing) throw new LatchkeyError('conflict', 'The integration changed concurrently; try again');
    return { integration: existing, created: false };
  }

  async disable(appId: string, userId: string, name: string): Promise<void> {
    checkIntegrationName(name);
    await this.requireUser(appId, userId);
    if (!(await this.repo.remove(appId, userId, name))) {
      throw new LatchkeyError('not_found', `The user has no integration "${name}"`);
    }
  }

  /** What the feathers dialect shows; the user is known to exist there. */
  listFor(appId: string, userId: string): Promise<Integration[]> {
    return this.repo.list(appId, userId);
  }

  private async requireUser(appId: string, userId: string): Promise<void> {
    if (!(await this.users.findById(appId, userId))) {
      throw new LatchkeyError('user_not_found', 'User does not exist');
    }
  }
}
