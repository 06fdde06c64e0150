import { type Kysely, sql, type Transaction } from 'kysely';
import type { UserRepository } from '../../../identity/ports.js';
import type {
  Email,
  NewUser,
  User,
  UserListQuery,
  UserPatch,
  UserUpdateCondition,
} from '../../../identity/types.js';
import { emailKey, usernameKey } from '../../../identity/validation.js';
import { LatchkeyError } from '../../../shared/errors.js';
import { newId } from '../../../shared/ids.js';
import { isUniqueViolation } from '../database.js';
import type { Database, UserEmailsTable, UsersTable } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

function toUser(row: UsersTable, emails: UserEmailsTable[]): User {
  return {
    id: row.id,
    appId: row.app_id,
    username: row.username,
    fullName: row.full_name,
    picture: row.picture,
    passwordHash: row.password_hash,
    isActive: row.is_active === 1,
    deactivatedAt: row.deactivated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    emails: emails
      .sort(
        (a, b) =>
          b.is_primary - a.is_primary || a.created_at - b.created_at || a.address.localeCompare(b.address),
      )
      .map((e) => ({ address: e.address, isVerified: e.is_verified === 1, isPrimary: e.is_primary === 1 })),
  };
}

/** Turns a unique-index violation into the domain error that names what collided. */
function duplicateError(err: unknown): never {
  const text = String(
    (err as { message?: string; constraint?: string }).constraint ?? (err as Error).message ?? '',
  );
  if (/email|address/i.test(text)) throw new LatchkeyError('duplicate_email', 'Email address already in use');
  if (/username/i.test(text)) throw new LatchkeyError('duplicate_username', 'Username already in use');
  throw err;
}

export class SqlUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(user: NewUser, now: number): Promise<User> {
    const id = newId();
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            id,
            app_id: user.appId,
            username: user.username,
            username_key: user.username === null ? null : usernameKey(user.username),
            full_name: user.fullName,
            picture: user.picture,
            password_hash: user.passwordHash,
            is_active: user.isActive ? 1 : 0,
            deactivated_at: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await this.insertEmails(trx, user.appId, id, user.emails, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) duplicateError(err);
      throw err;
    }
    return (await this.findById(user.appId, id))!;
  }

  private async insertEmails(
    trx: Db,
    appId: string,
    userId: string,
    emails: Email[],
    now: number,
  ): Promise<void> {
    if (emails.length === 0) return;
    await trx
      .insertInto('user_emails')
      .values(
        emails.map((e, i) => ({
          id: newId(),
          app_id: appId,
          user_id: userId,
          address: e.address,
          address_key: emailKey(e.address),
          is_verified: e.isVerified ? 1 : 0,
          is_primary: e.isPrimary ? 1 : 0,
          // Keep the given order stable when listing.
          created_at: now + i,
        })),
      )
      .execute();
  }

  private async withEmails(rows: UsersTable[]): Promise<User[]> {
    if (rows.length === 0) return [];
    const emails = await this.db
      .selectFrom('user_emails')
      .selectAll()
      .where(
        'user_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const byUser = new Map<string, UserEmailsTable[]>();
    for (const e of emails) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e]);
    return rows.map((r) => toUser(r, byUser.get(r.id) ?? []));
  }

  async findById(appId: string, id: string): Promise<User | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? ((await this.withEmails([row]))[0] ?? null) : null;
  }

  async findByLogin(appId: string, login: string): Promise<User | null> {
    const row = login.includes('@')
      ? await this.db
          .selectFrom('users')
          .innerJoin('user_emails', 'user_emails.user_id', 'users.id')
          .selectAll('users')
          .where('user_emails.app_id', '=', appId)
          .where('user_emails.address_key', '=', emailKey(login))
          .executeTakeFirst()
      : await this.db
          .selectFrom('users')
          .selectAll()
          .where('app_id', '=', appId)
          .where('username_key', '=', usernameKey(login))
          .executeTakeFirst();
    return row ? ((await this.withEmails([row]))[0] ?? null) : null;
  }

  async findByUsernameKey(appId: string, key: string): Promise<User | null> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('app_id', '=', appId)
      .where('username_key', '=', key)
      .executeTakeFirst();
    return row ? ((await this.withEmails([row]))[0] ?? null) : null;
  }

  async update(
    appId: string,
    id: string,
    patch: UserPatch,
    now: number,
    only: UserUpdateCondition = {},
  ): Promise<User | null> {
    try {
      const found = await this.db.transaction().execute(async (trx) => {
        const values: Partial<UsersTable> = { updated_at: now };
        if (patch.username !== undefined) {
          values.username = patch.username;
          values.username_key = patch.username === null ? null : usernameKey(patch.username);
        }
        if (patch.fullName !== undefined) values.full_name = patch.fullName;
        if (patch.picture !== undefined) values.picture = patch.picture;
        if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
        if (patch.isActive !== undefined) values.is_active = patch.isActive ? 1 : 0;
        if (patch.deactivatedAt !== undefined) values.deactivated_at = patch.deactivatedAt;
        let update = trx.updateTable('users').set(values).where('app_id', '=', appId).where('id', '=', id);
        // The condition is part of the one UPDATE statement: checked and written atomically.
        if (only.isActive !== undefined) update = update.where('is_active', '=', only.isActive ? 1 : 0);
        const result = await update.executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        if (patch.emails !== undefined) {
          await trx.deleteFrom('user_emails').where('user_id', '=', id).execute();
          await this.insertEmails(trx, appId, id, patch.emails, now);
        }
        return true;
      });
      return found ? this.findById(appId, id) : null;
    } catch (err) {
      if (isUniqueViolation(err)) duplicateError(err);
      throw err;
    }
  }

  async releaseUnverifiedEmail(
    appId: string,
    addressKey: string,
    exceptUserId: string | null,
  ): Promise<string | null> {
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .deleteFrom('user_emails')
        .where('app_id', '=', appId)
        .where('address_key', '=', addressKey)
        .where('is_verified', '=', 0);
      if (exceptUserId !== null) q = q.where('user_id', '<>', exceptUserId);
      // One statement decides and deletes: a concurrent verification of the same row
      // either happened before (nothing is deleted) or finds the row gone.
      const removed = await q.returning(['user_id', 'is_primary']).executeTakeFirst();
      if (!removed) return null;
      if (removed.is_primary === 1) {
        const next = await trx
          .selectFrom('user_emails')
          .select('id')
          .where('user_id', '=', removed.user_id)
          .orderBy('is_verified', 'desc')
          .orderBy('created_at', 'asc')
          .executeTakeFirst();
        if (next)
          await trx.updateTable('user_emails').set({ is_primary: 1 }).where('id', '=', next.id).execute();
      }
      return removed.user_id;
    });
  }

  async delete(appId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('users')
      .where('app_id', '=', appId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async list(appId: string, query: UserListQuery): Promise<User[]> {
    if (query.ids !== undefined && query.ids.length === 0) return [];
    let q = this.db.selectFrom('users').selectAll().where('app_id', '=', appId);
    if (query.ids !== undefined) q = q.where('id', 'in', query.ids);
    const memberOf = query.memberOf;
    if (memberOf !== undefined) {
      if (memberOf.orgIds.length === 0) return [];
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('org_memberships as m')
            .select('m.user_id')
            .whereRef('m.user_id', '=', 'users.id')
            .where('m.org_id', 'in', memberOf.orgIds)
            .where((w) => w.or([w('m.expires_at', 'is', null), w('m.expires_at', '>', memberOf.at)])),
        ),
      );
    }
    if (query.afterId) q = q.where('id', '>', query.afterId);
    if (query.q) {
      // LIKE wildcards in the prefix are escaped: '%' and '_' typed by a client match themselves.
      const prefix = `${usernameKey(query.q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([
          sql<boolean>`username_key like ${prefix} escape '\\'`,
          eb.exists(
            eb
              .selectFrom('user_emails')
              .select('user_emails.id')
              .whereRef('user_emails.user_id', '=', 'users.id')
              .where(sql<boolean>`user_emails.address_key like ${prefix} escape '\\'`),
          ),
        ]),
      );
    }
    const rows = await q.orderBy('id').limit(query.limit).execute();
    return this.withEmails(rows);
  }

  async count(appId: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
