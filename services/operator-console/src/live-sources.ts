import { logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import type pg from 'pg';
import { AvroSerde } from '@evergreen/avro-serde';
import { restartConnector } from '@evergreen/connect-config';
import { consistencyContext, repairAndVerify, verify, type ConsistencyContext, type VerifyReport } from '@evergreen/consistency';
import { deadLetterTopic } from '@evergreen/consumer';
import { deadLetterFields, deadLetterTopicsOf, formatPosition, newestDeadLetters, parkWith, positionOf, readDeadLetters, RefusedError, replayDeadLetters, type DlqClients, type ParkRequest, type StoredDeadLetter } from '@evergreen/consumer/dlq';
import { aggregateTopic, createKafka, createPool, outboxRelays, type StackConfig } from '@evergreen/platform';
import { connectorIsUp, describeRelay, readConnector, readRelayHealth, relayProblems, type RelayTarget } from '@evergreen/relay-health';
import { classify, EvergreenError, publicReason, reasonOf } from '@evergreen/errors';
import { eventCatalog } from '@evergreen/schemas';
import type { ConsumerSampler } from './consumer-sampler.ts';
import { AnswerError, failureText, type FailureLog } from './failures.ts';
import { readSchemaSubjects } from './schemas-source.ts';
import type { ServiceEndpoint } from './services.ts';
import type { ConsoleSources, DeadLetterQuery, ReplayRequest } from './sources.ts';
import type { ComponentView, DecodedPayload, DeadLetterView, DriftReportView, DriftView, RelayView } from './views.ts';

/** How long one reading of a component may take before it counts as down. */
const PROBE_TIMEOUT_MS = 3_000;
/** Reading a dead-letter topic to its end is quick; this long means the broker is away. */
const DLQ_TIMEOUT_MS = 30_000;
/** How long a repair waits for the read models to converge. */
const REPAIR_TIMEOUT_MS = 120_000;
/** How many drifted aggregates a report shows by name. */
const DRIFT_EXAMPLES = 20;
/** What the page says of a failed connector or task instead of its trace. */
export const TRACE_ELSEWHERE = "failed: its error is in the console's log and in `npm run stack:status`";

async function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new EvergreenError('TIMEOUT', `${what}: no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Up with `state` when `probe` resolves within the timeout; down otherwise, with where it is and
 * its state ("unavailable", "timeout", an HTTP answer): the error itself goes to the log.
 */
export async function probeComponent(kind: ComponentView['kind'], name: string, where: string, probe: () => Promise<string>, failures: FailureLog): Promise<ComponentView> {
  try {
    const state = await within(probe(), name);
    failures.recovered(`${kind} ${name}`);
    return { kind, name, healthy: true, state, detail: where };
  } catch (error) {
    failures.failed(`${kind} ${name}`, error, `${name} is down`);
    return { kind, name, healthy: false, state: 'down', detail: `${where}: ${failureText(error)}` };
  }
}

/** A service's /health or /ready: its status, and the reason a 503 gives, are its own public answer. */
async function httpOk(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  if (!response.ok) throw new AnswerError(`HTTP ${response.status}${response.status === 503 ? `: ${((await response.json().catch(() => ({}))) as { reason?: string }).reason ?? ''}` : ''}`);
  return 'up';
}

function reportView(report: VerifyReport): DriftReportView {
  return {
    projection: report.projection,
    checked: report.checked,
    counts: { ...report.counts },
    drifted: report.drifted.length,
    examples: report.drifted.slice(0, DRIFT_EXAMPLES).map((drift) => ({ id: drift.id, kind: drift.kind })),
    seconds: report.seconds,
  };
}

export interface LiveSourcesOptions {
  config: StackConfig;
  services: readonly ServiceEndpoint[];
  sampler: ConsumerSampler;
  /** Where what the page shows only as a state is written whole (to the console's log). */
  failures: FailureLog;
}

export interface LiveSources extends ConsoleSources {
  close(): Promise<void>;
}

/** The console's sources on the real stack, through the functions the command lines use. */
export function liveSources(options: LiveSourcesOptions): LiveSources {
  const { config, services, sampler, failures } = options;
  const relays = outboxRelays(config).map((relay) => {
    const pool: pg.Pool = createPool({ ...config.postgres, database: relay.database }, { max: 2, connectionTimeoutMillis: PROBE_TIMEOUT_MS, statement_timeout: PROBE_TIMEOUT_MS, query_timeout: PROBE_TIMEOUT_MS });
    pool.on('error', () => undefined);
    const target: RelayTarget = { connectUrl: config.connect.url, connectorName: relay.connectorName, slotName: relay.slotName };
    return { relay, pool, target };
  });
  const kafka = createKafka({ clientId: 'evergreen-operator-console', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  // Replays go out with the relay's (Java) partitioner, as `npm run dlq` sends them: one key's replays share a partition.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  let connected: Promise<void> | undefined;
  const clients = async (): Promise<DlqClients> => {
    connected ??= Promise.all([admin.connect(), producer.connect()]).then(
      () => undefined,
      (error: unknown) => {
        connected = undefined;
        throw error;
      },
    );
    await connected;
    return { kafka, admin, producer, timeoutMs: DLQ_TIMEOUT_MS };
  };
  const serde = AvroSerde.forRegistry(config.registry);
  let consistency: ConsistencyContext | undefined;
  /** verify's and repair's connections, opened on first use; a database or cache that goes away must not crash the console. */
  const consistencyOf = (): ConsistencyContext => {
    if (!consistency) {
      consistency = consistencyContext(config, eventCatalog);
      consistency.pool.on('error', () => undefined);
      consistency.redis.on('error', () => undefined);
    }
    return consistency;
  };
  const drift: DriftView = { last: null, running: null };
  const [usersRelay] = relays;

  async function decoded(letter: StoredDeadLetter): Promise<DecodedPayload> {
    if (letter.message.value === null) return { kind: 'none' };
    try {
      const { schemaId, writerName, value } = await serde.decodeAsWritten(letter.message.value);
      return { kind: 'avro', schemaId, writer: writerName, value };
    } catch (error) {
      // The serde's message can name the registry's address: the page gets the code, or the registry's state.
      failures.failed(`decode ${letter.topic} ${formatPosition(positionOf(letter))}`, error, 'could not decode a dead letter');
      const { code, disposition } = classify(error);
      return { kind: 'undecodable', error: disposition === 'transient' ? publicReason('registry', error) : reasonOf(code) };
    }
  }

  async function runDrift(action: 'verify' | 'repair'): Promise<DriftView> {
    if (drift.running) throw new RefusedError(`a ${drift.running} is running; wait for it to finish`);
    drift.running = action;
    try {
      const context = consistencyOf();
      const graceMs = config.consistency.verifyGraceMs;
      if (action === 'verify') {
        const reports = await verify(context.source, context.projections, { graceMs });
        drift.last = { action, finishedAt: new Date().toISOString(), reports: reports.map(reportView) };
      } else {
        const run = await repairAndVerify(context, context.projections, { graceMs, timeoutMs: REPAIR_TIMEOUT_MS });
        drift.last = {
          action,
          finishedAt: new Date().toISOString(),
          reports: run.after.map(reportView),
          ...(run.repaired ? { repaired: run.repaired } : {}),
          ...(run.notConverged ? { notConverged: run.notConverged } : {}),
        };
      }
      return { ...drift };
    } finally {
      drift.running = null;
    }
  }

  return {
    async components() {
      const stack = Promise.all([
        probeComponent('stack', 'PostgreSQL', `${config.postgres.host}:${config.postgres.port}`, async () => {
          await (usersRelay as (typeof relays)[number]).pool.query('SELECT 1');
          return 'up';
        }, failures),
        probeComponent('stack', 'Redis', config.redis.nodes.length > 0 ? `cluster ${config.redis.nodes.map((node) => `${node.host}:${node.port}`).join(', ')}` : `${config.redis.host}:${config.redis.port}`, async () => {
          return (await consistencyOf().redis.ping()) === 'PONG' ? 'up' : 'unexpected answer';
        }, failures),
        probeComponent('stack', 'Kafka', config.kafka.brokers.join(','), async () => {
          const { brokers } = await (await clients()).admin.describeCluster();
          return `up (${brokers.length} broker${brokers.length === 1 ? '' : 's'})`;
        }, failures),
        probeComponent('stack', 'Schema registry', config.registry.ccompatUrl, () => httpOk(`${config.registry.ccompatUrl}/subjects`), failures),
        probeComponent('stack', 'Kafka Connect', config.connect.url, () => httpOk(`${config.connect.url}/`), failures),
      ]);
      const connectors = Promise.all(
        relays.map(async ({ target }): Promise<ComponentView[]> => {
          const reading = await readConnector(target, PROBE_TIMEOUT_MS);
          const restart = { connector: target.connectorName };
          if (reading.kind === 'unreadable') failures.failed(`connector ${target.connectorName}`, new Error(reading.error), 'cannot read the connector');
          if (reading.kind !== 'found') {
            return [{ kind: 'connector', name: target.connectorName, healthy: false, state: reading.kind === 'missing' ? 'MISSING' : 'unreadable', detail: reading.kind === 'missing' ? 'not registered in Kafka Connect (npm run connect:apply)' : reading.reason, restart }];
          }
          failures.recovered(`connector ${target.connectorName}`);
          // A failure's trace is Java's exception, which can quote a connection string: the log has it, the page says where to look.
          const traced = (what: string, trace: string | undefined, otherwise: string): string => {
            if (trace === undefined) return otherwise;
            failures.failed(what, new Error(trace.split('\n')[0]), `${what} failed`);
            return TRACE_ELSEWHERE;
          };
          return [
            { kind: 'connector', name: target.connectorName, healthy: connectorIsUp(reading), state: reading.state, detail: traced(`connector ${target.connectorName}`, reading.trace, `${reading.tasks.length} task(s)`), restart },
            ...reading.tasks.map((task): ComponentView => ({ kind: 'task', name: `${target.connectorName} task ${task.id}`, healthy: task.state === 'RUNNING', state: task.state, detail: traced(`connector ${target.connectorName} task ${task.id}`, task.trace, ''), restart: { connector: target.connectorName, task: task.id } })),
          ];
        }),
      );
      const watched = Promise.all(
        services.map(async (service): Promise<ComponentView[]> => {
          const [health, ready] = await Promise.all([
            probeComponent('service', `${service.name} health`, `${service.url}/health`, () => httpOk(`${service.url}/health`), failures),
            probeComponent('service', `${service.name} ready`, `${service.url}/ready`, () => httpOk(`${service.url}/ready`), failures),
          ]);
          return [
            { ...health, name: service.name, state: health.healthy ? 'live' : 'not live' },
            { ...ready, name: service.name, state: ready.healthy ? 'ready' : 'not ready' },
          ];
        }),
      );
      return [...(await stack), ...(await connectors).flat(), ...(await watched).flat()];
    },

    async relay() {
      return Promise.all(
        relays.map(async ({ relay, pool, target }): Promise<RelayView> => {
          const health = await readRelayHealth({ target, db: pool, timeoutMs: PROBE_TIMEOUT_MS });
          const problems = relayProblems(health, { slotDownForMs: 0, slotGraceMs: 0, detail: 'public' });
          const { slot, heartbeat, connector } = health;
          return {
            connector: target.connectorName,
            slot: target.slotName,
            database: relay.database,
            relaying: problems.length === 0,
            connectorState: connector.kind === 'found' ? connector.state : connector.kind,
            lagBytes: slot.kind === 'found' ? slot.lagBytes : null,
            retainedWalBytes: slot.kind === 'found' ? slot.retainedWalBytes : null,
            walStatus: slot.kind === 'found' ? slot.walStatus : null,
            heartbeatAgeSeconds: heartbeat.kind === 'found' ? heartbeat.ageSeconds : null,
            heartbeatAt: heartbeat.kind === 'found' ? heartbeat.beatAt.toISOString() : null,
            summary: describeRelay(health),
            problems,
          };
        }),
      );
    },

    consumers: () => sampler.view(),

    async deadLetters(query: DeadLetterQuery) {
      const dlq = await clients();
      const topics = query.aggregate === undefined ? await deadLetterTopicsOf(dlq.admin, config.topics.prefix) : [deadLetterTopic(aggregateTopic(config, query.aggregate))];
      return {
        topics: await Promise.all(
          topics.map(async (topic) => {
            const letters = (await readDeadLetters(dlq, topic)).filter((letter) => query.group === undefined || deadLetterFields(letter).group === query.group);
            const shown = await Promise.all(newestDeadLetters(letters, query.limit).map(async (letter): Promise<DeadLetterView> => ({ topic, ...deadLetterFields(letter), payload: await decoded(letter) })));
            // Newest first: what an operator looks for after an incident.
            return { topic, total: letters.length, shown: shown.reverse() };
          }),
        ),
      };
    },

    async park(request: ParkRequest) {
      if (!request.topic.startsWith(`${config.topics.prefix}.`)) throw new RefusedError(`nothing parked: ${request.topic} is not a topic of ${config.topics.prefix}`);
      const { committed } = await parkWith(await clients(), request);
      return { ...request, committed };
    },
    async replay(request: ReplayRequest) {
      if (!request.topic.startsWith(`${config.topics.prefix}.`)) throw new RefusedError(`nothing replayed: ${request.topic} is not a dead-letter topic of ${config.topics.prefix}`);
      const replayed = await replayDeadLetters(await clients(), request.topic, request.positions, request.group === undefined ? {} : { group: request.group });
      return { topic: request.topic, replayed };
    },

    schemas: () => readSchemaSubjects(config.registry.ccompatUrl),
    drift: () => ({ ...drift }),
    restartConnector: (name: string, task?: number) => restartConnector(config.connect.url, name, task),
    verify: () => runDrift('verify'),
    repair: () => runDrift('repair'),

    async close() {
      if (connected) await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
      await Promise.all(relays.map(({ pool }) => pool.end()));
      await consistency?.close();
    },
  };
}
