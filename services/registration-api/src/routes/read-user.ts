import type { FastifyInstance } from 'fastify';
import { canonicalUuid, explainPattern, problem, sendProblem, uuidIdParams } from '@evergreen/http-problem';
import { readUser, type ReadUserDeps } from '../users/read-user.ts';
import { etag, userProblems } from './user-schemas.ts';

const readQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // A query string is text, and types are never coerced: a version is written as digits.
    minVersion: {
      type: 'string',
      pattern: explainPattern('^[1-9][0-9]{0,14}$', 'must be a version: a whole number from 1'),
      description: 'The version a write returned (body `version`, or its ETag). The answer is at least that fresh: from the cache once it has caught up, or from PostgreSQL after a bounded wait (`x-cache: fallback`).',
    },
  },
} as const;

/** GET /users/:id: the read model the consumers keep, with read-your-writes through ?minVersion. */
export async function readUserRoutes(app: FastifyInstance, deps: ReadUserDeps): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { minVersion?: string } }>(
    '/users/:id',
    {
      schema: {
        summary: 'Read a user from the cache',
        params: uuidIdParams,
        querystring: readQuery,
        response: {
          200: {
            description: 'The user. `x-cache` says where it came from: hit (Redis), miss (Redis had no entry; PostgreSQL), fallback (Redis had not reached minVersion in time; PostgreSQL).',
            $ref: 'User#',
          },
          ...userProblems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const minVersion = request.query.minVersion === undefined ? undefined : Number(request.query.minVersion);
      const userId = canonicalUuid(request.params.id);
      const { outcome, user, cacheError } = await readUser(deps, userId, minVersion);
      if (cacheError) request.log.warn({ err: cacheError }, 'cache unreadable; answered from PostgreSQL');
      reply.header('x-cache', outcome);
      if (!user) return sendProblem(reply, problem(404, 'user-not-found', 'No such user', `no user ${userId}`));
      return reply.header('etag', etag(user.version)).send(user);
    },
  );
}
