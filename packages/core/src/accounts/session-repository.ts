import type { DbOrTrx, SessionRow } from '../db/schema.ts';

/** Stores a new session (its token only as a hash). */
export async function insertSession(db: DbOrTrx, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** The session whose cookie hashes to `tokenHash`. */
export function findSessionByHash(db: DbOrTrx, tokenHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** When a session ends, or undefined once it is gone (signed out, password reset). */
export function findSessionExpiry(db: DbOrTrx, id: string): Promise<{ expires_at: string } | undefined> {
  return db.selectFrom('sessions').select('expires_at').where('id', '=', id).executeTakeFirst();
}

/** Records use of a session and moves its expiry. */
export async function touchSession(
  db: DbOrTrx,
  id: string,
  lastUsedAt: string,
  expiresAt: string,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_used_at: lastUsedAt, expires_at: expiresAt })
    .where('id', '=', id)
    .execute();
}

/** Ends one session. */
export async function deleteSession(db: DbOrTrx, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Ends every session of a user (password reset). Returns how many ended. */
export async function deleteSessionsOfUser(db: DbOrTrx, userId: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
