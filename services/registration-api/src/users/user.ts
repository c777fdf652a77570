/** A user as the API returns it and as its events carry it. */
export interface User {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  version: number;
  registeredAt: string;
}

export interface UserRow {
  id: string;
  email: string;
  name: string;
  avatar_url: string | null;
  version: string;
  created_at: Date;
}

export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    avatarUrl: row.avatar_url,
    version: Number(row.version),
    registeredAt: row.created_at.toISOString(),
  };
}

export const USER_AGGREGATE = 'user';
