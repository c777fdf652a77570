export { buildApp } from './app.ts';
export type { AppOptions } from './app.ts';
export { registrationMigrations } from './migrations.ts';
export { registerUser, EmailTakenError } from './users/register-user.ts';
export type { User } from '@evergreen/user-aggregate';
