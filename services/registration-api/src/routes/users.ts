import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseTraceparent, withTraceContext } from '@evergreen/platform';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { problem, sendProblem, type Problem } from '../problem.ts';
import { deleteUser, updateProfile, type ProfileChanges } from '../users/change-user.ts';
import { UserNotFoundError, VersionMismatchError } from '@evergreen/user-aggregate';
import { EmailTakenError, registerUser, type RegistrationInput } from '../users/register-user.ts';
import type { ApiMetrics } from '../http/metrics.ts';
import { etag, problemResponses, profileChangesSchema, registrationSchema, userIdParams } from './user-schemas.ts';

/** Runs a write with the caller's W3C trace context active, so the outbox carries it to the consumers. */
const traced = <T>(request: FastifyRequest, work: () => Promise<T>) => withTraceContext(parseTraceparent(request.headers.traceparent), work);

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
  metrics: ApiMetrics;
}

export async function userRoutes(app: FastifyInstance, { pool, outbox, metrics }: UserRoutesOptions): Promise<void> {
  // Counted once the transaction committed: an event rolled back was never written.
  const written = (eventType: string) => metrics.outboxEvents.inc({ event_type: eventType });

  app.post<{ Body: RegistrationInput }>(
    '/users',
    {
      schema: {
        summary: 'Register a user',
        body: registrationSchema,
        response: { 201: { description: 'Registered; the ETag is its version.', $ref: 'User#' }, ...problemResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      try {
        const user = await traced(request, () => registerUser(pool, outbox, request.body));
        written('UserRegistered');
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
    {
      schema: {
        summary: "Change a user's profile",
        description: 'Requires If-Match with the version last read; answers the changed user and its new version as ETag.',
        params: userIdParams,
        body: profileChangesSchema,
        response: { 200: { description: 'Changed.', $ref: 'User#' }, ...problemResponses(400, 404, 412, 413, 415, 428) },
      },
    },
    async (request, reply) => {
      const expected = expectedVersion(request.headers['if-match']);
      if (expected === undefined) {
        return sendProblem(reply, problem(428, 'version-required', 'If-Match required', 'send the version you last read as If-Match: "<version>", so a stale change is refused, not merged', [{ field: 'if-match', message: 'is required' }]));
      }
      if (typeof expected !== 'number') return sendProblem(reply, expected);
      try {
        const user = await traced(request, () => updateProfile(pool, outbox, request.params.id, expected, request.body));
        written('UserProfileUpdated');
        return reply.header('etag', etag(user.version)).send(user);
      } catch (error) {
        return changeRefused(reply, error);
      }
    },
  );

  app.delete<{ Params: { id: string }; Headers: { 'if-match'?: string } }>(
    '/users/:id',
    {
      schema: {
        summary: 'Delete a user',
        description: 'If-Match is optional. The ETag of the answer is the deletion\'s version: pass it as minVersion to read the deletion at once.',
        params: userIdParams,
        response: { 204: { description: 'Deleted.', type: 'null' }, ...problemResponses(400, 404, 412) },
      },
    },
    async (request, reply) => {
      const expected = expectedVersion(request.headers['if-match']);
      if (expected !== undefined && typeof expected !== 'number') return sendProblem(reply, expected);
      try {
        const deletionVersion = await traced(request, () => deleteUser(pool, outbox, request.params.id, expected));
        written('UserDeleted');
        // The deletion's version: a reader passing it knows the user is gone without waiting for the cache.
        return reply.code(204).header('etag', etag(deletionVersion)).send();
      } catch (error) {
        return changeRefused(reply, error);
      }
    },
  );
}
