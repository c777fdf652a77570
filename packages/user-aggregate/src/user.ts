/** A user as the API returns it and as its events carry it. */
export interface User {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  version: number;
  registeredAt: string;
  updatedAt: string;
}

export interface UserRow {
  id: string;
  email: string;
  name: string;
  avatar_url: string | null;
  version: string;
  created_at: Date;
  updated_at: Date;
}

/** The columns userFromRow reads, for every query that returns a user. */
export const USER_COLUMNS = 'id, email, name, avatar_url, version, created_at, updated_at';

export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    avatarUrl: row.avatar_url,
    version: Number(row.version),
    registeredAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The user's aggregate type; schemas/user/writer-check.ts has the compiler hold it to the descriptor's. */
export const USER_AGGREGATE = 'user';

/** Why a change to an existing user was refused. */
export class UserNotFoundError extends Error {
  constructor(readonly userId: string) {
    super(`no user ${userId}`);
    this.name = 'UserNotFoundError';
  }
}

/** The change named the versions it may apply to (over HTTP, If-Match's), and the user is at none of them. */
export class VersionMismatchError extends Error {
  constructor(
    readonly userId: string,
    readonly expectedVersions: readonly number[],
    readonly currentVersion: number,
  ) {
    const expected = expectedVersions.length === 0 ? 'and the change names no version it may apply to' : `not ${expectedVersions.join(' or ')}`;
    super(`user ${userId} is at version ${currentVersion}, ${expected}`);
    this.name = 'VersionMismatchError';
  }
}
