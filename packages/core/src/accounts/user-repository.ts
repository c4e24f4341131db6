import type { DbOrTrx, NewUserRow, UserRow } from '../db/schema.ts';

/** Any user at all (setup is only allowed on an empty database). */
export async function anyUserExists(db: DbOrTrx): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The user with this (already normalized) email. */
export function findUserRowByEmail(db: DbOrTrx, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

/** The user with this id. */
export function findUserRowById(db: DbOrTrx, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Stores a new user and returns the row as stored. */
export async function insertUser(db: DbOrTrx, row: NewUserRow): Promise<UserRow> {
  await db.insertInto('users').values(row).execute();
  return { version: 1, ...row } as UserRow;
}

/** Replaces a user's password hash. */
export async function updatePasswordHash(
  db: DbOrTrx,
  userId: string,
  passwordHash: string,
  now: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ password_hash: passwordHash, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', userId)
    .execute();
}
