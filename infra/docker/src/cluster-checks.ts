import { buildArgs, buildOf, CLUSTER_ENV_FILE, CLUSTER_PROFILE, composeServices, dependencies, environmentOf, isActive, networkNames, type ComposeProject, type ComposeService } from './compose-file.ts';
import { bundledServices, SERVICE_ARG } from './compose-checks.ts';

/** The consumer services the cluster profile runs EVERGREEN_CONSUMER_INSTANCES of (infra/local/src/supervisor/instances.ts). */
export const CONSUMER_SERVICES = ['cache-populator', 'activity-log', 'order-cache'] as const;

type Named = [string, ComposeService];

/** The services only the cluster profile runs. */
function clusterOnly(project: ComposeProject): Named[] {
  return Object.entries(composeServices(project.interpolated)).filter(([, service]) => !isActive(service, []) && isActive(service, [CLUSTER_PROFILE]));
}

function imageIs(service: ComposeService, repository: string): boolean {
  return (service.image ?? '').split(':')[0] === repository;
}

function commandText(service: ComposeService): string {
  return [service.command ?? []].flat().join(' ');
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** The host port a service publishes for a port inside it. */
function publishedFor(service: ComposeService, target: string): string | undefined {
  for (const port of service.ports ?? []) {
    if (typeof port !== 'string') continue;
    const parts = port.split(':');
    if (parts[parts.length - 1] === target) return parts[parts.length - 2];
  }
  return undefined;
}

/** A listener's port in a Kafka listener list (`NAME://host:port,...`). */
function listener(listeners: string | undefined, name: string): { host: string; port: string } | undefined {
  const match = list(listeners).map((item) => /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(item)).find((found) => found?.[1] === name);
  return match ? { host: match[2] ?? '', port: match[3] ?? '' } : undefined;
}

/** Three KRaft nodes: one quorum of exactly these voters, every node's ports, the replication of the profile. */
function kafkaProblems(kafka: Named[], clusterEnv: Record<string, string>): string[] {
  const ports = list(clusterEnv.EVERGREEN_KAFKA_PORTS);
  const problems: string[] = [];
  if (kafka.length !== ports.length) problems.push(`the cluster profile runs ${kafka.length} Kafka nodes, ${CLUSTER_ENV_FILE} ${ports.length}`);
  const voters = kafka.map(([name, service]) => {
    const env = environmentOf(service);
    return `${env.KAFKA_NODE_ID ?? '?'}@${name}:${listener(env.KAFKA_LISTENERS, 'CONTROLLER')?.port ?? '?'}`;
  });
  kafka.forEach(([name, service], index) => {
    const env = environmentOf(service);
    const expectedVoters = list(env.KAFKA_CONTROLLER_QUORUM_VOTERS).sort();
    if (expectedVoters.join(',') !== [...voters].sort().join(',')) problems.push(`${name}: controller.quorum.voters ${env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '(none)'} are not the nodes ${voters.join(',')}`);
    if (!(env.KAFKA_PROCESS_ROLES ?? '').includes('controller')) problems.push(`${name}: is no controller, so it is no voter`);
    if (!(env.KAFKA_HEAP_OPTS ?? '').includes(`-Xmx${clusterEnv.EVERGREEN_KAFKA_HEAP ?? '?'}`)) problems.push(`${name}: its heap is not EVERGREEN_KAFKA_HEAP (${clusterEnv.EVERGREEN_KAFKA_HEAP ?? '?'})`);
    const host = listener(env.KAFKA_ADVERTISED_LISTENERS, 'HOST');
    const docker = listener(env.KAFKA_ADVERTISED_LISTENERS, 'DOCKER');
    if (host?.port !== ports[index] || publishedFor(service, '9092') !== ports[index]) problems.push(`${name}: the host reaches it at ${host?.port ?? '?'} (published ${publishedFor(service, '9092') ?? '?'}), ${CLUSTER_ENV_FILE} says ${ports[index] ?? '?'}`);
    if (docker?.host !== name) problems.push(`${name}: advertises ${docker?.host ?? 'no'} DOCKER listener host, not its own name`);
    const replication = {
      KAFKA_DEFAULT_REPLICATION_FACTOR: clusterEnv.EVERGREEN_TOPIC_REPLICATION_FACTOR,
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: clusterEnv.EVERGREEN_TOPIC_REPLICATION_FACTOR,
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: clusterEnv.EVERGREEN_TOPIC_REPLICATION_FACTOR,
      KAFKA_MIN_INSYNC_REPLICAS: clusterEnv.EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS,
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: clusterEnv.EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS,
    };
    for (const [variable, value] of Object.entries(replication)) {
      if (env[variable] !== value) problems.push(`${name}: ${variable} is ${env[variable] ?? '(unset)'}, ${CLUSTER_ENV_FILE} says ${value ?? '?'}`);
    }
  });
  const clusterIds = new Set(kafka.map(([, service]) => environmentOf(service).CLUSTER_ID));
  if (clusterIds.size !== 1 || clusterIds.has(undefined)) problems.push('the Kafka nodes do not share one CLUSTER_ID');
  // kafka-storage format refuses an id that is not a UUID's 16 bytes in URL-safe base64 (22 characters).
  for (const id of clusterIds) if (id !== undefined && !/^[A-Za-z0-9_-]{21}[AQgw]$/.test(id)) problems.push(`CLUSTER_ID ${id} is not a base64 UUID (22 characters)`);
  return problems;
}

/** Two Connect workers of one group, each reachable by its own name, on all brokers, replicated as the topics. */
function connectProblems(connect: Named[], kafka: Named[], clusterEnv: Record<string, string>): string[] {
  const ports = list(clusterEnv.EVERGREEN_CONNECT_PORTS);
  const problems: string[] = [];
  if (connect.length !== ports.length) problems.push(`the cluster profile runs ${connect.length} Connect workers, ${CLUSTER_ENV_FILE} ${ports.length}`);
  const brokers = kafka.map(([name, service]) => {
    const docker = listener(environmentOf(service).KAFKA_ADVERTISED_LISTENERS, 'DOCKER');
    return `${name}:${docker?.port ?? '?'}`;
  });
  const groups = new Set(connect.map(([, service]) => environmentOf(service).GROUP_ID));
  if (groups.size !== 1) problems.push(`the Connect workers are in ${groups.size} groups, not one`);
  const advertised = connect.map(([, service]) => environmentOf(service).ADVERTISED_HOST_NAME);
  connect.forEach(([name, service], index) => {
    const env = environmentOf(service);
    if (env.ADVERTISED_HOST_NAME !== name) problems.push(`${name}: advertises REST host ${env.ADVERTISED_HOST_NAME ?? '(none)'}, not its own name (${advertised.join(', ')})`);
    if (list(env.BOOTSTRAP_SERVERS).sort().join(',') !== [...brokers].sort().join(',')) problems.push(`${name}: bootstrap servers ${env.BOOTSTRAP_SERVERS ?? '(none)'} are not the brokers ${brokers.join(',')}`);
    if (publishedFor(service, '8083') !== ports[index]) problems.push(`${name}: published at ${publishedFor(service, '8083') ?? '?'}, ${CLUSTER_ENV_FILE} says ${ports[index] ?? '?'}`);
    for (const variable of ['CONFIG_STORAGE_REPLICATION_FACTOR', 'OFFSET_STORAGE_REPLICATION_FACTOR', 'STATUS_STORAGE_REPLICATION_FACTOR']) {
      if (env[variable] !== clusterEnv.EVERGREEN_TOPIC_REPLICATION_FACTOR) problems.push(`${name}: ${variable} is ${env[variable] ?? '(unset)'}, not EVERGREEN_TOPIC_REPLICATION_FACTOR`);
    }
    if (!(env.HEAP_OPTS ?? '').includes(`-Xmx${clusterEnv.EVERGREEN_CONNECT_HEAP ?? '?'}`)) problems.push(`${name}: its heap is not EVERGREEN_CONNECT_HEAP (${clusterEnv.EVERGREEN_CONNECT_HEAP ?? '?'})`);
    if (env.CONNECT_PRODUCER_ACKS !== 'all') problems.push(`${name}: its producer does not send with acks=all`);
    if (env.CONNECT_SCHEDULED_REBALANCE_MAX_DELAY_MS !== clusterEnv.EVERGREEN_CONNECT_REBALANCE_DELAY_MS) problems.push(`${name}: scheduled.rebalance.max.delay.ms is not EVERGREEN_CONNECT_REBALANCE_DELAY_MS`);
  });
  return problems;
}

/** Six cluster-enabled Redis nodes and the one-shot that joins them, with the replicas the profile asks. */
function redisProblems(redis: Named[], creators: Named[], clusterEnv: Record<string, string>): string[] {
  const ports = list(clusterEnv.EVERGREEN_REDIS_NODES).map((node) => node.split(':')[1] ?? '');
  const problems: string[] = [];
  if (redis.length !== ports.length) problems.push(`the cluster profile runs ${redis.length} Redis nodes, ${CLUSTER_ENV_FILE} ${ports.length}`);
  redis.forEach(([name, service], index) => {
    if (!/--cluster-enabled yes/.test(commandText(service))) problems.push(`${name}: is not started with --cluster-enabled yes`);
    if (publishedFor(service, '6379') !== ports[index]) problems.push(`${name}: published at ${publishedFor(service, '6379') ?? '?'}, ${CLUSTER_ENV_FILE} says ${ports[index] ?? '?'}`);
  });
  if (creators.length !== 1) return [...problems, `${creators.length} services run redis-cli --cluster create, not one`];
  const [creatorName, creator] = creators[0] as Named;
  const command = commandText(creator);
  const replicas = clusterEnv.EVERGREEN_REDIS_CLUSTER_REPLICAS ?? '?';
  if (!command.includes(`--cluster-replicas ${replicas}`)) problems.push(`${creatorName}: does not create ${replicas} replica(s) per primary (--cluster-replicas ${replicas})`);
  if (!command.includes('--cluster-yes')) problems.push(`${creatorName}: would wait for a yes (--cluster-yes)`);
  if (creator.restart !== 'no') problems.push(`${creatorName}: is a one-shot, yet restarts (${creator.restart ?? 'default'})`);
  const waited = new Map(dependencies(creator).map(({ name, condition }) => [name, condition]));
  for (const [name] of redis) {
    if (!new RegExp(`\\b${name}\\b`).test(command)) problems.push(`${creatorName}: leaves ${name} out of the cluster`);
    if (waited.get(name) !== 'service_healthy') problems.push(`${creatorName}: does not wait for ${name} to be healthy`);
  }
  return problems;
}

/** What the services built here are told, against what the cluster's services are and stack.cluster.env says. */
function applicationProblems(built: Named[], kafka: Named[], connect: Named[], redis: Named[], creators: Named[], clusterEnv: Record<string, string>): string[] {
  const redisNodes = redis.map(([name]) => `${name}:6379`);
  return built.flatMap(([name, service]): string[] => {
    const env = environmentOf(service);
    const problems: string[] = [];
    if (list(env.EVERGREEN_REDIS_NODES).join(',') !== redisNodes.join(',')) problems.push(`${name}: EVERGREEN_REDIS_NODES is ${env.EVERGREEN_REDIS_NODES ?? '(unset)'}, not the Redis nodes ${redisNodes.join(',')}`);
    const kafkaHost = env.EVERGREEN_KAFKA_HOST ?? '';
    const kafkaPorts = list(env.EVERGREEN_KAFKA_PORTS);
    if (kafkaPorts.length !== kafka.length) problems.push(`${name}: EVERGREEN_KAFKA_PORTS names ${kafkaPorts.length} brokers, the profile runs ${kafka.length}`);
    kafka.forEach(([broker, brokerService], index) => {
      const docker = listener(environmentOf(brokerService).KAFKA_ADVERTISED_LISTENERS, 'DOCKER');
      if (!networkNames(broker, brokerService).includes(kafkaHost) || kafkaPorts[index] !== docker?.port) problems.push(`${name}: ${kafkaHost}:${kafkaPorts[index] ?? '?'} does not reach ${broker} (${broker}:${docker?.port ?? '?'})`);
    });
    const connectHost = env.EVERGREEN_CONNECT_HOST ?? '';
    for (const [worker, workerService] of connect) {
      if (!networkNames(worker, workerService).includes(connectHost)) problems.push(`${name}: EVERGREEN_CONNECT_HOST ${connectHost} does not reach ${worker}`);
    }
    for (const variable of ['EVERGREEN_TOPIC_REPLICATION_FACTOR', 'EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS', 'EVERGREEN_CONNECT_REBALANCE_DELAY_MS', 'EVERGREEN_REDIS_CLUSTER_REPLICAS', 'EVERGREEN_CONSUMER_INSTANCES']) {
      if (env[variable] !== clusterEnv[variable]) problems.push(`${name}: ${variable} is ${env[variable] ?? '(unset)'}, ${CLUSTER_ENV_FILE} says ${clusterEnv[variable] ?? '?'}`);
    }
    // The runtime image carries versions.env and stack.env only; the profile would make the loader read the third.
    if (env.EVERGREEN_STACK_PROFILE !== undefined) problems.push(`${name}: EVERGREEN_STACK_PROFILE=${env.EVERGREEN_STACK_PROFILE} makes it read infra/${CLUSTER_ENV_FILE}, which its image lacks; give the values instead`);
    const waited = new Map(dependencies(service).map(({ name: dependency, condition }) => [dependency, condition]));
    const needs = [...kafka, ...connect].map(([dependency]) => dependency);
    for (const dependency of needs) if (waited.get(dependency) !== 'service_healthy') problems.push(`${name}: does not wait for ${dependency} to be healthy`);
    const isSetup = service.restart === 'no';
    for (const [creator] of creators) if (!isSetup && waited.get(creator) !== 'service_completed_successfully') problems.push(`${name}: does not wait for ${creator} to have made the Redis Cluster`);
    return problems;
  });
}

/** Each consumer service EVERGREEN_CONSUMER_INSTANCES times, every other service `npm run build` bundles once. */
function instanceProblems(built: Named[], clusterEnv: Record<string, string>, bundled: readonly string[]): string[] {
  const instances = Number(clusterEnv.EVERGREEN_CONSUMER_INSTANCES ?? 1);
  const counts = new Map<string, number>();
  for (const [, service] of built) {
    const build = buildOf(service);
    const serviceName = build ? buildArgs(build)[SERVICE_ARG] : undefined;
    if (serviceName !== undefined) counts.set(serviceName, (counts.get(serviceName) ?? 0) + 1);
  }
  return [...new Set([...bundled, ...counts.keys()])].sort().flatMap((serviceName) => {
    const count = counts.get(serviceName) ?? 0;
    const expected = (CONSUMER_SERVICES as readonly string[]).includes(serviceName) ? instances : 1;
    return count === expected ? [] : [`the cluster profile runs ${count} instance(s) of ${serviceName}, not ${expected}`];
  });
}

/**
 * The cluster profile is the topology of infra/stack.cluster.env: its Kafka quorum, Connect group
 * and Redis Cluster, and services that are told where they are and wait for them.
 */
export function clusterProblems(project: ComposeProject): string[] {
  const clusterEnv = project.envFiles[CLUSTER_ENV_FILE] ?? {};
  const services = clusterOnly(project);
  const kafka = services.filter(([, service]) => imageIs(service, 'apache/kafka'));
  const connect = services.filter(([, service]) => imageIs(service, 'quay.io/debezium/connect'));
  const redisImages = services.filter(([, service]) => imageIs(service, 'redis'));
  const creators = redisImages.filter(([, service]) => /redis-cli\b.*--cluster create/.test(commandText(service)));
  const redis = redisImages.filter(([, service]) => !creators.some(([, creator]) => creator === service));
  const built = services.filter(([, service]) => buildOf(service) !== undefined);
  return [
    ...kafkaProblems(kafka, clusterEnv),
    ...connectProblems(connect, kafka, clusterEnv),
    ...redisProblems(redis, creators, clusterEnv),
    ...applicationProblems(built, kafka, connect, redis, creators, clusterEnv),
    ...instanceProblems(built.filter(([, service]) => service.restart !== 'no'), clusterEnv, bundledServices(project.repoRoot)),
  ];
}
