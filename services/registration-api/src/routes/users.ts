import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseTraceparent, withTraceContext } from '@evergreen/platform';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { problem, sendProblem, type Problem } from '../problem.ts';
import { deleteUser, updateProfile, type ProfileChanges } from '../users/change-user.ts';
import { UserNotFoundError, VersionMismatchError } from '../users/user.ts';
import { EmailTakenError, registerUser, type RegistrationInput } from '../users/register-user.ts';

const userSchema = {
  $id: 'User',
  type: 'object',
  required: ['id', 'email', 'name', 'avatarUrl', 'version', 'registeredAt', 'updatedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    name: { type: 'string' },
    avatarUrl: { type: ['string', 'null'] },
    version: { type: 'integer', description: 'The aggregate version; every change adds one.' },
    registeredAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const profileFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  avatarUrl: { type: ['string', 'null'], format: 'uri', pattern: '^https://', maxLength: 2048 },
} as const;

const registrationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'name'],
  properties: { email: { type: 'string', format: 'email', maxLength: 254 }, ...profileFields },
} as const;

const profileChangesSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: profileFields,
} as const;

const userIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

/** Runs a write with the caller's W3C trace context active, so the outbox carries it to the consumers. */
const traced = <T>(request: FastifyRequest, work: () => Promise<T>) => withTraceContext(parseTraceparent(request.headers.traceparent), work);

/** ETags are the user's version in quotes: "3". */
const etag = (version: number) => `"${version}"`;

/** The version in an If-Match header, or undefined when absent; a header that is no version of ours is a client error. */
function expectedVersion(header: string | undefined): number | undefined | Problem {
  if (header === undefined) return undefined;
  const match = /^"?(\d{1,15})"?$/.exec(header.trim());
  if (!match) return problem(400, 'validation', 'Invalid request', `If-Match must be the version from an ETag, like "3"`, [{ field: 'if-match', message: 'is not a version' }]);
  return Number(match[1]);
}

function changeRefused(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof UserNotFoundError) return sendProblem(reply, problem(404, 'user-not-found', 'No such user', error.message));
  if (error instanceof VersionMismatchError) {
    return sendProblem(
      reply.header('etag', etag(error.currentVersion)),
      problem(412, 'version-mismatch', 'The user has changed', `${error.message}; read it again and retry with If-Match: "${error.currentVersion}"`),
    );
  }
  throw error;
}

export interface UserRoutesOptions {
  pool: pg.Pool;
  outbox: Outbox;
}

export async function userRoutes(app: FastifyInstance, { pool, outbox }: UserRoutesOptions): Promise<void> {
  app.addSchema(userSchema);

  app.post<{ Body: RegistrationInput }>(
    '/users',
    {
      schema: {
        body: registrationSchema,
        response: { 201: { $ref: 'User#' } },
      },
    },
    async (request, reply) => {
      try {
        const user = await traced(request, () => registerUser(pool, outbox, request.body));
        return reply.code(201).header('location', `/users/${user.id}`).header('etag', etag(user.version)).send(user);
      } catch (error) {
        if (error instanceof EmailTakenError) {
          return sendProblem(reply, problem(409, 'email-taken', 'Email already registered', error.message, [{ field: 'email', message: 'is already registered' }]));
        }
        throw error;
      }
    },
  );

  app.patch<{ Params: { id: string }; Body: ProfileChanges; Headers: { 'if-match'?: string } }>(
    '/users/:id',
    { schema: { params: userIdParams, body: profileChangesSchema, response: { 200: { $ref: 'User#' } } } },
    async (request, reply) => {
      const expected = expectedVersion(request.headers['if-match']);
      if (expected === undefined) {
        return sendProblem(reply, problem(428, 'version-required', 'If-Match required', 'send the version you last read as If-Match: "<version>", so a stale change is refused, not merged', [{ field: 'if-match', message: 'is required' }]));
      }
      if (typeof expected !== 'number') return sendProblem(reply, expected);
      try {
        const user = await traced(request, () => updateProfile(pool, outbox, request.params.id, expected, request.body));
        return reply.header('etag', etag(user.version)).send(user);
      } catch (error) {
        return changeRefused(reply, error);
      }
    },
  );

  app.delete<{ Params: { id: string }; Headers: { 'if-match'?: string } }>(
    '/users/:id',
    { schema: { params: userIdParams } },
    async (request, reply) => {
      const expected = expectedVersion(request.headers['if-match']);
      if (expected !== undefined && typeof expected !== 'number') return sendProblem(reply, expected);
      try {
        const deletionVersion = await traced(request, () => deleteUser(pool, outbox, request.params.id, expected));
        // The deletion's version: a reader passing it knows the user is gone without waiting for the cache.
        return reply.code(204).header('etag', etag(deletionVersion)).send();
      } catch (error) {
        return changeRefused(reply, error);
      }
    },
  );
}
