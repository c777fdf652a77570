import { existsSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { parsePosition, RefusedError } from '@evergreen/consumer/dlq';
import { publicReason } from '@evergreen/errors';
import { AllowedMethods, errorHandler, notFoundHandler, problem, sendProblem } from '@evergreen/http-problem';
import { fastifyServerOptions, type HttpServerTimeouts, type Logger } from '@evergreen/platform';
import { actionGuard } from './action-guard.ts';
import { hostGuard } from './host-guard.ts';
import type { ConsoleSources } from './sources.ts';

export interface AppOptions {
  sources: ConsoleSources;
  /** EVERGREEN_CONSOLE_TOKEN; undefined: read-only. */
  token: string | undefined;
  /** Who holds the token, for the action log (EVERGREEN_CONSOLE_OPERATOR); the client's address otherwise. */
  operator?: string;
  logger: Logger;
  /** The host names it answers to (allowedHosts: EVERGREEN_CONSOLE_ALLOWED_HOSTS or its default); any other Host gets 421. */
  allowedHosts: readonly string[];
  /** How long a client may take to send its request, or leave its connection idle (CONSOLE_SERVER_TIMEOUTS unless given). */
  serverTimeouts?: Partial<HttpServerTimeouts>;
}

/**
 * The defaults, but a verify or a repair runs inside its request (a repair waits up to two minutes
 * for the read models to converge, then verifies again; verify takes about 25 s per million users):
 * the connection of one in progress must not count as idle.
 */
export const CONSOLE_SERVER_TIMEOUTS: Partial<HttpServerTimeouts> = { idleTimeoutMs: 600_000 };

/** The page and its script, read once: in dist/public/ beside the bundle (npm run build copies them), or the sources' public/. */
const PUBLIC = [new URL('./public/', import.meta.url), new URL('../public/', import.meta.url)].find((url) => existsSync(url)) ?? new URL('../public/', import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

// The page loads nothing from elsewhere and may not be framed (no clickjacking of its buttons).
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const AGGREGATE = '^[a-z][a-z0-9-]*$';
const POSITION = '^\\d{1,9}:\\d{1,19}$';

const replayBody = {
  type: 'object',
  required: ['topic', 'positions'],
  additionalProperties: false,
  properties: {
    topic: { type: 'string', pattern: '^[A-Za-z0-9._-]+\\.dlq$', maxLength: 249 },
    positions: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', pattern: POSITION } },
    group: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

const parkBody = {
  type: 'object',
  required: ['group', 'topic', 'partition', 'offset'],
  additionalProperties: false,
  properties: {
    group: { type: 'string', minLength: 1, maxLength: 255 },
    topic: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', maxLength: 249 },
    partition: { type: 'integer', minimum: 0, maximum: 100_000 },
    offset: { type: 'string', pattern: '^\\d{1,19}$' },
  },
} as const;

const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

type ActionKind = 'restart' | 'replay' | 'park' | 'verify' | 'repair';
/** What each action calls, named when its error does not say (a pg or Redis error names its own). */
const ACTION_DEPENDENCY: Record<ActionKind, string> = { restart: 'connect', replay: 'kafka', park: 'kafka', verify: 'postgres', repair: 'postgres' };

/**
 * The operator console: the page, its JSON (GET /api/*, open and read-only) and its actions (POST,
 * behind actionGuard, each logged with who asked, what, and how it ended).
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { sources, logger } = options;
  // Unknown fields are refused, not dropped: an action does exactly what it was asked, or nothing.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ...fastifyServerOptions({ ...CONSOLE_SERVER_TIMEOUTS, ...options.serverTimeouts }),
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  });
  app.setErrorHandler(errorHandler);
  app.addHook('onRequest', hostGuard(options.allowedHosts, logger));
  const allowedMethods = new AllowedMethods();
  app.addHook('onRoute', allowedMethods.record);
  // The page polls every few seconds: its reads are logged only when they go wrong; actions always are.
  app.addHook('onRoute', (route) => {
    if (route.method === 'GET' || route.method === 'HEAD') route.logLevel = 'warn';
  });
  app.setNotFoundHandler(notFoundHandler(allowedMethods));
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(asset.file, PUBLIC), 'utf8');
    app.get(path, async (_request, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(body));
  }

  // The page answers whatever its sources do: alive and ready once it listens.
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async () => ({ status: 'ready' }));

  /** 502 naming the source and its dependency's state; the error's own text (hosts, SQL, a stack) only in the log. */
  const readFailed = (request: FastifyRequest, reply: FastifyReply, what: string, dependency: string, error: unknown) => {
    logger.warn({ reqId: request.id, err: error }, `could not read ${what}`);
    return sendProblem(reply, problem(502, 'source-unavailable', 'Source unavailable', `could not read ${what}: ${publicReason(dependency, error)}`));
  };

  app.get('/api/components', async (request, reply) => sources.components().catch((error: unknown) => readFailed(request, reply, 'the components', 'stack', error)));
  app.get('/api/relay', async (request, reply) => sources.relay().catch((error: unknown) => readFailed(request, reply, 'the relay', 'relay', error)));
  app.get('/api/consumers', async () => sources.consumers());
  app.get('/api/drift', async () => sources.drift());
  app.get('/api/schemas', async (request, reply) => sources.schemas().catch((error: unknown) => readFailed(request, reply, 'the schemas', 'registry', error)));
  app.get<{ Querystring: { aggregate?: string; group?: string; limit: number } }>(
    '/api/dead-letters',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { aggregate: { type: 'string', pattern: AGGREGATE }, group: { type: 'string', minLength: 1 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
      },
    },
    async (request, reply) => sources.deadLetters(request.query).catch((error: unknown) => readFailed(request, reply, 'the dead letters', 'kafka', error)),
  );

  const guard = actionGuard({ token: options.token, logger });
  /** Runs an action and logs it: who asked, what, and the outcome; a refusal is 409 with its reason. */
  const act = async <T>(request: FastifyRequest, reply: FastifyReply, what: { kind: ActionKind } & Record<string, unknown>, work: () => Promise<T>): Promise<T | FastifyReply> => {
    const who = { operator: options.operator ?? null, address: request.ip };
    try {
      const result = await work();
      logger.info({ who, action: what, result: 'done' }, 'console action');
      return result;
    } catch (error) {
      const refused = error instanceof RefusedError;
      logger.warn({ who, action: what, result: refused ? 'refused' : 'failed', err: error }, 'console action');
      // A refusal is the console's own sentence; a failure's text is a dependency's, so only its state is answered.
      if (refused) return sendProblem(reply, problem(409, 'action-refused', 'Refused', (error as Error).message));
      return sendProblem(reply, problem(502, 'action-failed', 'Action failed', `${what.kind} failed: ${publicReason(ACTION_DEPENDENCY[what.kind], error)}`));
    }
  };

  app.post<{ Params: { name: string }; Body: { task?: number } }>(
    '/api/connectors/:name/restart',
    {
      onRequest: guard,
      schema: {
        params: { type: 'object', properties: { name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,249}$' } } },
        body: { type: 'object', additionalProperties: false, properties: { task: { type: 'integer', minimum: 0, maximum: 10_000 } } },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { task } = request.body;
      return act(request, reply, { kind: 'restart', connector: name, task: task ?? null }, async () => {
        if (!(await sources.restartConnector(name, task))) throw new RefusedError(`Kafka Connect has no connector ${name}${task === undefined ? '' : ` task ${task}`}`);
        return { restarted: name, task: task ?? null };
      });
    },
  );

  app.post<{ Body: { topic: string; positions: string[]; group?: string } }>('/api/dead-letters/replay', { onRequest: guard, schema: { body: replayBody } }, async (request, reply) => {
    const { topic, positions, group } = request.body;
    return act(request, reply, { kind: 'replay', topic, positions, group: group ?? null }, () =>
      // The schema's pattern guarantees each parses.
      sources.replay({ topic, positions: positions.flatMap((text) => parsePosition(text) ?? []), ...(group === undefined ? {} : { group }) }),
    );
  });

  app.post<{ Body: { group: string; topic: string; partition: number; offset: string } }>('/api/consumers/park', { onRequest: guard, schema: { body: parkBody } }, async (request, reply) => {
    const { group, topic, partition, offset } = request.body;
    return act(request, reply, { kind: 'park', group, topic, partition, offset }, () => sources.park({ group, topic, partition, offset: BigInt(offset).toString() }));
  });

  app.post('/api/drift/verify', { onRequest: guard, schema: { body: emptyBody } }, async (request, reply) => act(request, reply, { kind: 'verify' }, () => sources.verify()));
  app.post('/api/drift/repair', { onRequest: guard, schema: { body: emptyBody } }, async (request, reply) => act(request, reply, { kind: 'repair' }, () => sources.repair()));

  return app;
}
