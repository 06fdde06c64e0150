import type { UserRepository } from '../identity/ports.js';
import type { Clock } from '../shared/clock.js';
import { LatchkeyError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { AliasRepository } from './ports.js';
import type { Alias, AliasQuery } from './types.js';

/** A survey id: what an SPA names its survey with (`demo`, `nhs-2026.wave_1`). */
export const SURVEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_USER_NAME = 100;

export function isSurveyId(value: string): boolean {
  return SURVEY_ID.test(value);
}

/** One name per survey whatever its case (and Unicode composition), so look-alikes cannot coexist. */
export function userNameKey(userName: string): string {
  return userName.normalize('NFC').toLowerCase();
}

export function checkSurveyId(surveyId: string): void {
  if (!isSurveyId(surveyId)) {
    throw new LatchkeyError(
      'invalid_input',
      `Survey id "${surveyId.slice(0, 80)}" is invalid; use 1 to 64 letters, digits, '_', '-' or '.'`,
    );
  }
}

function checkUserName(userName: string): void {
  const length = [...userName].length;
  if (
    length === 0 ||
    length > MAX_USER_NAME ||
    userName.trim() !== userName ||
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(userName)
  ) {
    throw new LatchkeyError(
      'invalid_input',
      `User name is invalid; use 1 to ${MAX_USER_NAME} printable characters without surrounding spaces`,
    );
  }
}

/**
 * Survey aliases (intake24's respondents): a user holds at most one user name per
 * survey, and that name signs in only for that survey. The password is the user's own.
 */
export class AliasService {
  constructor(
    private readonly repo: AliasRepository,
    private readonly users: UserRepository,
    private readonly clock: Clock,
  ) {}

  async create(appId: string, input: { userId: string; surveyId: string; userName: string }): Promise<Alias> {
    checkSurveyId(input.surveyId);
    checkUserName(input.userName);
    if (!(await this.users.findById(appId, input.userId))) {
      throw new LatchkeyError('user_not_found', `User "${input.userId}" does not exist`);
    }
    const alias: Alias = {
      id: newId(),
      appId,
      userId: input.userId,
      surveyId: input.surveyId,
      userName: input.userName,
      createdAt: this.clock.now(),
    };
    if (!(await this.repo.create(alias, userNameKey(alias.userName)))) {
      const taken = await this.repo.find(appId, alias.surveyId, userNameKey(alias.userName));
      throw new LatchkeyError(
        'conflict',
        taken
          ? `Survey "${alias.surveyId}" already has the user name "${alias.userName}"`
          : `User "${alias.userId}" already has a user name in survey "${alias.surveyId}"`,
      );
    }
    return alias;
  }

  list(appId: string, query: AliasQuery): Promise<Alias[]> {
    return this.repo.list(appId, query);
  }

  async get(appId: string, id: string): Promise<Alias> {
    const alias = await this.repo.findById(appId, id);
    if (!alias) throw new LatchkeyError('not_found', `Alias "${id}" does not exist`);
    return alias;
  }

  async remove(appId: string, id: string): Promise<void> {
    if (!(await this.repo.remove(appId, id)))
      throw new LatchkeyError('not_found', `Alias "${id}" does not exist`);
  }

  /** The alias a sign-in names, or null (malformed input included: it simply names nothing). */
  async resolve(appId: string, surveyId: string, userName: string): Promise<Alias | null> {
    if (!isSurveyId(surveyId) || userName.length === 0 || userName.length > 4 * MAX_USER_NAME) return null;
    return this.repo.find(appId, surveyId, userNameKey(userName));
  }
}
