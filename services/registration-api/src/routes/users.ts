import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { problem, sendProblem } from '../problem.ts';
import { EmailTakenError, registerUser, type RegistrationInput } from '../users/register-user.ts';

const userSchema = {
  $id: 'User',
  type: 'object',
  required: ['id', 'email', 'name', 'avatarUrl', 'version', 'registeredAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    name: { type: 'string' },
    avatarUrl: { type: ['string', 'null'] },
    version: { type: 'integer', description: 'The aggregate version; every change adds one.' },
    registeredAt: { type: 'string', format: 'date-time' },
  },
} as const;

const registrationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'name'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    avatarUrl: { type: ['string', 'null'], format: 'uri', pattern: '^https://', maxLength: 2048 },
  },
} as const;

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
        const user = await registerUser(pool, outbox, request.body);
        return reply.code(201).header('location', `/users/${user.id}`).header('etag', `"${user.version}"`).send(user);
      } catch (error) {
        if (error instanceof EmailTakenError) {
          return sendProblem(reply, problem(409, 'email-taken', 'Email already registered', error.message, [{ field: 'email', message: 'is already registered' }]));
        }
        throw error;
      }
    },
  );
}
