import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { withTransaction } from '@evergreen/platform';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { canonicalUuid, problem, runTraced, sendProblem, uuidIdParams, type Problem } from '@evergreen/http-problem';
import { deleteUserIn, updateProfileIn, type ExpectedVersions, type ProfileChanges } from '../users/change-user.ts';
import { versionCondition } from '../http/if-match.ts';
import { UserNotFoundError, VersionMismatchError, type User } from '@evergreen/user-aggregate';
import { EmailTakenError, registerUserIn, type RegistrationInput } from '../users/register-user.ts';
import type { ApiMetrics } from '../http/metrics.ts';
import { IDEMPOTENCY_KEY_HEADER, requestFingerprint } from '../idempotency/fingerprint.ts';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS, IdempotencyStore, type Answer, type IdempotentOutcome, type IdempotentWrite } from '../idempotency/store.ts';
import { changeHeaders, etag, idempotencyHeaders, profileChangesSchema, registrationSchema, userProblems } from './user-schemas.ts';

/** The versions a change may apply to, by its If-Match (valid: the header schema saw to it); undefined for `*` or none: any. */
function expectedVersions(header: string | undefined): ExpectedVersions {
  if (header === undefined) return undefined;
  const condition = versionCondition(header);
  return condition === 'any' ? undefined : condition;
}

// The content types exactly as Fastify sends them, so a recorded answer replays byte for byte.
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

const userAnswer = (status: number, user: User, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': JSON_TYPE, ...headers, etag: etag(user.version) },
  body: user,
});
const problemAnswer = (body: Problem, headers: Record<string, string> = {}): Answer => ({ status: body.status, headers: { ...headers, 'content-type': PROBLEM_TYPE }, body });

function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  reply.code(answer.status).headers(answer.headers);
  return answer.body === null ? reply.send() : reply.send(answer.body);
}

/** A change refused by the business rules: no such user, or a stale version (the current one in ETag). */
function changeRefusal(error: unknown): Answer | undefined {
  if (error instanceof UserNotFoundError) return problemAnswer(problem(404, 'user-not-found', 'No such user', error.message));
  if (error instanceof VersionMismatchError) {
    return problemAnswer(
      problem(412, 'version-mismatch', 'The user has changed', `${error.message}; read it again and retry with If-Match: "${error.currentVersion}"`),
      { etag: etag(error.currentVersion) },
    );
  }
  return undefined;
}

export interface UserRoutesOptions {
  pool: pg.Pool;
  outbox: Outbox;
  metrics: ApiMetrics;
  /** Idempotency keys; by default kept DEFAULT_IDEMPOTENCY_TTL_HOURS. */
  keys?: IdempotencyStore;
}

/** One write route's work: the event it writes, the write on a transaction, and which errors are refusals (4xx) rather than faults. */
interface WriteRoute {
  eventType: string;
  perform: IdempotentWrite;
  /** The answer for a refusal of the business rules (404, 409, 412); undefined: a fault, rethrown. */
  refuse(error: unknown): Answer | undefined;
}

type WriteRequest = FastifyRequest<{ Headers: { 'if-match'?: string; 'idempotency-key'?: string } }>;

export async function userRoutes(app: FastifyInstance, { pool, outbox, metrics, keys = new IdempotencyStore(pool, DEFAULT_IDEMPOTENCY_TTL_HOURS) }: UserRoutesOptions): Promise<void> {
  /**
   * Runs a write route and answers. Without Idempotency-Key: one transaction, as always. With one:
   * through the key's record (IdempotencyStore.execute), which replays an earlier answer, refuses a
   * reused or busy key, or runs the write and records its answer in the write's transaction. A
   * refusal of the business rules rolls back either way and is answered, never recorded: it wrote
   * nothing, so a retry with the key may run again.
   */
  async function answerWrite(request: WriteRequest, reply: FastifyReply, write: WriteRoute): Promise<FastifyReply> {
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    const path = request.url.split('?')[0] ?? request.url;
    let outcome: IdempotentOutcome;
    try {
      outcome = await runTraced(request, () =>
        key === undefined
          ? withTransaction(pool, async (tx): Promise<IdempotentOutcome> => ({ kind: 'executed', answer: await write.perform(tx) }))
          : keys.execute({ key, fingerprint: requestFingerprint({ method: request.method, path, body: request.body, ifMatch: request.headers['if-match'] }), method: request.method, path }, write.perform),
      );
    } catch (error) {
      const refusal = write.refuse(error);
      if (!refusal) throw error;
      return sendAnswer(reply, refusal);
    }
    switch (outcome.kind) {
      case 'executed':
        // Counted once the transaction committed: an event rolled back was never written.
        metrics.outboxEvents.inc({ event_type: write.eventType });
        return sendAnswer(reply, outcome.answer);
      case 'replayed':
        metrics.idempotentReplays.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched' });
        return sendAnswer(reply.header('idempotent-replayed', 'true'), outcome.answer);
      case 'reused':
        return sendProblem(
          reply,
          problem(422, 'idempotency-key-reused', 'Idempotency key reused', 'this Idempotency-Key was first used for a different request (method, path, body or If-Match); use a new key for a new request', [
            { field: IDEMPOTENCY_KEY_HEADER, message: 'was used for a different request' },
          ]),
        );
      case 'in-flight':
        return sendProblem(
          reply.header('retry-after', '1'),
          problem(409, 'idempotency-key-in-flight', 'Request in flight', 'a request with this Idempotency-Key is still being processed; retry after it has been answered', [
            { field: IDEMPOTENCY_KEY_HEADER, message: 'is in use by a request still running' },
          ]),
        );
    }
  }

  app.post<{ Body: RegistrationInput; Headers: { 'idempotency-key'?: string } }>(
    '/users',
    {
      schema: {
        summary: 'Register a user',
        headers: idempotencyHeaders,
        body: registrationSchema,
        response: { 201: { description: 'Registered; the ETag is its version.', $ref: 'User#' }, ...userProblems(400, 409, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      answerWrite(request, reply, {
        eventType: 'UserRegistered',
        perform: async (tx) => {
          const user = await registerUserIn(tx, outbox, request.body);
          return userAnswer(201, user, { location: `/users/${user.id}` });
        },
        refuse: (error) =>
          error instanceof EmailTakenError
            ? problemAnswer(problem(409, 'email-taken', 'Email already registered', error.message, [{ field: 'email', message: 'is already registered' }]))
            : undefined,
      }),
  );

  app.patch<{ Params: { id: string }; Body: ProfileChanges; Headers: { 'if-match'?: string; 'idempotency-key'?: string } }>(
    '/users/:id',
    {
      schema: {
        summary: "Change a user's profile",
        description:
          'Requires If-Match: the ETag last read ("3"), a list of them, or * (whatever the version). If-Match compares strongly: a weak ETag (W/"3") never matches, so it is 412. Answers the changed user and its new version as ETag.',
        params: uuidIdParams,
        headers: changeHeaders,
        body: profileChangesSchema,
        response: { 200: { description: 'Changed.', $ref: 'User#' }, ...userProblems(400, 404, 409, 412, 413, 415, 422, 428) },
      },
    },
    async (request, reply) => {
      const ifMatch = request.headers['if-match'];
      if (ifMatch === undefined) {
        return sendProblem(reply, problem(428, 'version-required', 'If-Match required', 'send the version you last read as If-Match: "<version>", so a stale change is refused, not merged', [{ field: 'if-match', message: 'is required' }]));
      }
      const expected = expectedVersions(ifMatch);
      return answerWrite(request, reply, {
        eventType: 'UserProfileUpdated',
        perform: async (tx) => userAnswer(200, await updateProfileIn(tx, outbox, canonicalUuid(request.params.id), expected, request.body)),
        refuse: changeRefusal,
      });
    },
  );

  app.delete<{ Params: { id: string }; Headers: { 'if-match'?: string; 'idempotency-key'?: string } }>(
    '/users/:id',
    {
      schema: {
        summary: 'Delete a user',
        description:
          'If-Match is optional (as for PATCH: an ETag, a list, or *). The ETag of the answer is the deletion\'s version: pass it as minVersion to read the deletion at once.',
        params: uuidIdParams,
        headers: changeHeaders,
        response: { 204: { description: 'Deleted.', type: 'null' }, ...userProblems(400, 404, 409, 412, 422) },
      },
    },
    async (request, reply) => {
      const expected = expectedVersions(request.headers['if-match']);
      return answerWrite(request, reply, {
        eventType: 'UserDeleted',
        // The deletion's version: a reader passing it knows the user is gone without waiting for the cache.
        perform: async (tx) => ({ status: 204, headers: { etag: etag(await deleteUserIn(tx, outbox, canonicalUuid(request.params.id), expected)) }, body: null }),
        refuse: changeRefusal,
      });
    },
  );
}
