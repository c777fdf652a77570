import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoot } from '@evergreen/platform';
import { buildProblems, dependencyProblems, fileReferenceProblems, portProblems, undefinedVariableProblems } from './compose-checks.ts';
import { clusterProblems } from './cluster-checks.ts';
import { consoleHostProblems } from './console-checks.ts';
import { activeServices, buildOf, CLUSTER_PROFILE, composeProject, composeServices, dependencies, readEnvFiles, type ComposeProject } from './compose-file.ts';
import { composeSchemaProblems } from './compose-schema.ts';
import { dockerfileProblems, type DockerfileUnderCheck } from './dockerfile-checks.ts';

// No Docker engine runs here: these tests are what keeps infra/docker-compose.yml and
// infra/docker/services.Dockerfile true. Each check runs on the real files and, to show that it
// can fail, on a copy with one mistake put in.

const repoRoot = findRepoRoot();
const composePath = join(repoRoot, 'infra', 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
const envFiles = readEnvFiles(join(repoRoot, 'infra'));
const dockerfilePath = join(repoRoot, 'infra', 'docker', 'services.Dockerfile');
const dockerfileText = readFileSync(dockerfilePath, 'utf8');
const dockerignorePath = join(repoRoot, '.dockerignore');

/** Replaces one passage that must be there, so a test whose fixture drifted fails instead of passing. */
function edited(text: string, from: string, to: string): string {
  expect(text, `the passage to edit is gone: ${from}`).toContain(from);
  return text.replace(from, to);
}

function compose(text: string = composeText): ComposeProject {
  return composeProject(text, envFiles, composePath, repoRoot);
}

function dockerfile(overrides: Partial<DockerfileUnderCheck> = {}): DockerfileUnderCheck {
  const project = compose();
  const runTargets = Object.values(composeServices(project.interpolated)).flatMap((service) => {
    const build = buildOf(service);
    return build ? [build.target] : [];
  });
  return {
    text: dockerfileText,
    contextDir: repoRoot,
    dockerignore: existsSync(dockerignorePath) ? readFileSync(dockerignorePath, 'utf8') : '',
    pinnedVersions: envFiles['versions.env'] ?? {},
    runTargets,
    ...overrides,
  };
}

describe('infra/docker-compose.yml', () => {
  it('follows the Compose Specification once interpolated from infra/versions.env and infra/stack.env', () => {
    expect(composeSchemaProblems(compose().interpolated)).toEqual([]);
  });

  it('builds every service of the tree, and only those, from a context and Dockerfile that exist', () => {
    expect(buildProblems(compose())).toEqual([]);
    expect(fileReferenceProblems(compose())).toEqual([]);
  });

  it('reads only variables that infra/*.env define', () => {
    expect(undefinedVariableProblems(compose())).toEqual([]);
  });

  it("publishes every port on 127.0.0.1 at infra/stack.env's number", () => {
    expect(portProblems(compose())).toEqual([]);
  });

  it('waits only for services that exist and can become what it waits for', () => {
    expect(dependencyProblems(compose())).toEqual([]);
  });

  it('starts every service it builds after its profile\'s setup completed, and setup runs scripts the root package.json has', () => {
    const services = composeServices(compose().interpolated);
    const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const setupName of ['setup', 'cluster-setup']) {
      const setup = services[setupName];
      expect(setup?.restart, setupName).toBe('no');
      const command = [setup?.command ?? []].flat().join(' ');
      const npmScripts = [...command.matchAll(/npm run ([\w:-]+)/g)].map(([, script]) => script ?? '');
      expect(npmScripts).toEqual(['db:migrate', 'schemas:register', 'connect:apply']);
      for (const script of npmScripts) expect(scripts, script).toHaveProperty([script]);
    }
    for (const [name, service] of Object.entries(services)) {
      if (service.restart === 'no' || !service.build) continue;
      const setupName = service.profiles?.includes(CLUSTER_PROFILE) ? 'cluster-setup' : 'setup';
      expect(service.depends_on, name).toMatchObject({ [setupName]: { condition: 'service_completed_successfully' } });
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('tells every operator console the names it is reached by, and only names (its guard against DNS rebinding)', () => {
    expect(consoleHostProblems(compose())).toEqual([]);
  });

  it('runs the single-node topology, and nothing of the cluster profile, on a plain `up`', () => {
    const plain = activeServices(compose().interpolated, []);
    expect(Object.keys(plain)).toEqual([
      'postgres', 'redis', 'kafka', 'registry', 'connect', 'setup',
      'registration-api', 'cache-populator', 'activity-log', 'relay-monitor', 'order-service', 'order-cache', 'operator-console',
    ]);
    for (const [name, service] of Object.entries(plain)) {
      for (const { name: dependency } of dependencies(service)) expect(Object.keys(plain), `${name} -> ${dependency}`).toContain(dependency);
    }
  });

  it('runs the topology of infra/stack.cluster.env with --profile cluster: Kafka quorum, Connect group, Redis Cluster, two of each consumer', () => {
    expect(clusterProblems(compose())).toEqual([]);
    const cluster = Object.keys(activeServices(compose().interpolated, [CLUSTER_PROFILE]));
    expect(cluster).toEqual(expect.arrayContaining(['kafka-1', 'kafka-2', 'kafka-3', 'connect-1', 'connect-2', 'redis-cluster-create', 'cluster-cache-populator-1', 'cluster-cache-populator-2']));
  });
});

describe('infra/docker/services.Dockerfile', () => {
  it('copies only what the build context has, starts from the pinned Node, runs as non-root and has a HEALTHCHECK', () => {
    expect(dockerfileProblems(dockerfile())).toEqual([]);
  });
});

describe('each check fails on the mistake it is for', () => {
  it('schema: a key the Compose Specification does not have', () => {
    const broken = edited(composeText, '    ports:\n      - "127.0.0.1:${EVERGREEN_API_PORT}', '    port:\n      - "127.0.0.1:${EVERGREEN_API_PORT}');
    expect(composeSchemaProblems(compose(broken).interpolated)).toContainEqual(expect.stringContaining('(port)'));
  });

  it('builds: a service, Dockerfile or build argument that does not exist, a service of the tree left out', () => {
    const relayMonitorMisspelt = edited(edited(composeText, 'SERVICE: relay-monitor', 'SERVICE: relay-monitr'), 'SERVICE: relay-monitor', 'SERVICE: relay-monitr');
    expect(buildProblems(compose(relayMonitorMisspelt))).toEqual([
      expect.stringContaining('names no services/relay-monitr/package.json'),
      expect.stringContaining('names no services/relay-monitr/package.json'),
      'services/relay-monitor is bundled by npm run build but no compose service builds it',
    ]);
    expect(buildProblems(compose(edited(composeText, 'dockerfile: infra/docker/services.Dockerfile\n      target: build', 'dockerfile: infra/docker/Dockerfile\n      target: build')))).toEqual([
      expect.stringContaining('setup: Dockerfile infra/docker/Dockerfile does not exist'),
    ]);
    expect(buildProblems(compose(edited(composeText, 'PORT_VARIABLE: EVERGREEN_API_PORT', 'PORT_VARIABLES: EVERGREEN_API_PORT')))).toEqual([
      'registration-api: build argument PORT_VARIABLES is declared by no ARG of the Dockerfile',
      'registration-api: the Dockerfile needs build argument PORT_VARIABLE, which is not given',
    ]);
    expect(fileReferenceProblems(compose(edited(composeText, './docker/postgres-init.sh', './docker/postgres-init.bash')))).toEqual([
      'postgres: bind mount source ./docker/postgres-init.bash does not exist',
    ]);
  });

  it('variables: one that no env file defines', () => {
    expect(undefinedVariableProblems(compose(edited(composeText, 'POSTGRES_PASSWORD: ${EVERGREEN_PG_PASSWORD}', 'POSTGRES_PASSWORD: ${EVERGREEN_PG_PASSWRD}')))).toEqual([
      expect.stringContaining('${EVERGREEN_PG_PASSWRD}'),
    ]);
  });

  it('ports: every interface, a number not in stack.env, a service not at its own port', () => {
    const pgPort = '"127.0.0.1:${EVERGREEN_PG_PORT}:5432"';
    expect(portProblems(compose(edited(composeText, pgPort, '"${EVERGREEN_PG_PORT}:5432"')))).toEqual([expect.stringContaining('every interface, not 127.0.0.1')]);
    expect(portProblems(compose(edited(composeText, pgPort, '"127.0.0.1:15433:5432"')))).toEqual([expect.stringContaining('host port 15433 is neither')]);
    expect(portProblems(compose(edited(composeText, pgPort, '"127.0.0.1:15432:5432"')))).toEqual([]);
    expect(portProblems(compose(edited(composeText, '"127.0.0.1:${EVERGREEN_API_PORT}:${EVERGREEN_API_PORT}"', '"127.0.0.1:${EVERGREEN_API_PORT}:3000"')))).toEqual([
      expect.stringContaining('must be ${EVERGREEN_API_PORT}:${EVERGREEN_API_PORT}'),
    ]);
  });

  it('ports: a cluster service at a port stack.cluster.env does not have, or at another service\'s', () => {
    expect(portProblems(compose(edited(composeText, '"127.0.0.1:19292:9092"', '"127.0.0.1:19299:9092"')))).toEqual([expect.stringContaining('kafka-2: port 127.0.0.1:19299:9092: host port 19299 is not the value')]);
    expect(portProblems(compose(edited(composeText, '"127.0.0.1:3111:${EVERGREEN_POPULATOR_PORT}"', '"127.0.0.1:3011:${EVERGREEN_POPULATOR_PORT}"')))).toEqual([
      expect.stringContaining('host port 3011 is published by cluster-cache-populator-1 too'),
    ]);
  });

  it('cluster: a quorum or a group that is not these nodes, a Redis node out of the cluster, one consumer instance', () => {
    expect(clusterProblems(compose(edited(composeText, '1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093', '1@kafka-1:9093,2@kafka-2:9093')))).toEqual([
      expect.stringContaining('kafka-1: controller.quorum.voters'),
      expect.stringContaining('kafka-2: controller.quorum.voters'),
      expect.stringContaining('kafka-3: controller.quorum.voters'),
    ]);
    expect(clusterProblems(compose(edited(composeText, 'KAFKA_MIN_INSYNC_REPLICAS: 2', 'KAFKA_MIN_INSYNC_REPLICAS: 1')))).toHaveLength(3);
    expect(clusterProblems(compose(edited(composeText, '-Xmx640m', '-Xmx1g')))).toEqual([
      'kafka-1: its heap is not EVERGREEN_KAFKA_HEAP (640m)', 'kafka-2: its heap is not EVERGREEN_KAFKA_HEAP (640m)', 'kafka-3: its heap is not EVERGREEN_KAFKA_HEAP (640m)',
    ]);
    expect(clusterProblems(compose(edited(composeText, 'ADVERTISED_HOST_NAME: connect-2', 'ADVERTISED_HOST_NAME: connect-1')))).toEqual([
      expect.stringContaining('connect-2: advertises REST host connect-1'),
    ]);
    expect(clusterProblems(compose(edited(composeText, 'BOOTSTRAP_SERVERS: kafka-1:19092,kafka-2:19092,kafka-3:19092', 'BOOTSTRAP_SERVERS: kafka-1:19092')))).toEqual([
      expect.stringContaining('connect-1: bootstrap servers kafka-1:19092 are not the brokers'),
      expect.stringContaining('connect-2: bootstrap servers kafka-1:19092 are not the brokers'),
    ]);
    const clusterId = /CLUSTER_ID: (\S+)/.exec(composeText)?.[1] ?? '';
    expect(clusterProblems(compose(edited(composeText, `CLUSTER_ID: ${clusterId}`, 'CLUSTER_ID: evergreen-cluster')))).toEqual([expect.stringContaining('is not a base64 UUID')]);
    expect(clusterProblems(compose(edited(composeText, '--cluster-replicas 1', '--cluster-replicas 0')))).toEqual([expect.stringContaining('--cluster-replicas 1')]);
    expect(clusterProblems(compose(edited(composeText, '"--cluster-enabled", "yes", ', '')))).toHaveLength(6);
    const withoutRedis6 = edited(composeText, ',redis-6:6379', '');
    expect(clusterProblems(compose(withoutRedis6))).toContainEqual(expect.stringContaining('EVERGREEN_REDIS_NODES is redis-1:6379,redis-2:6379,redis-3:6379,redis-4:6379,redis-5:6379, not the Redis nodes'));
    expect(clusterProblems(compose(edited(composeText, 'EVERGREEN_KAFKA_HOST: cluster-kafka', 'EVERGREEN_KAFKA_HOST: kafka')))).toContainEqual(
      expect.stringContaining('cluster-setup: kafka:19092 does not reach kafka-1'),
    );
    expect(clusterProblems(compose(edited(composeText, '  EVERGREEN_KAFKA_HOST: cluster-kafka', '  EVERGREEN_STACK_PROFILE: cluster\n  EVERGREEN_KAFKA_HOST: cluster-kafka')))).toContainEqual(
      expect.stringContaining('cluster-registration-api: EVERGREEN_STACK_PROFILE=cluster makes it read infra/stack.cluster.env'),
    );
    const oneOrderCache = edited(composeText, 'SERVICE: order-cache\n        PORT_VARIABLE: EVERGREEN_ORDER_CACHE_PORT\n    ports:\n      - "127.0.0.1:3115', 'SERVICE: order-service\n        PORT_VARIABLE: EVERGREEN_ORDER_CACHE_PORT\n    ports:\n      - "127.0.0.1:3115');
    expect(clusterProblems(compose(oneOrderCache))).toEqual([
      'the cluster profile runs 1 instance(s) of order-cache, not 2',
      'the cluster profile runs 2 instance(s) of order-service, not 1',
    ]);
    // A service npm run build bundles but the profile leaves out.
    const noConsole = edited(composeText, 'SERVICE: operator-console\n        PORT_VARIABLE: EVERGREEN_CONSOLE_PORT\n    environment:\n      <<: *cluster-environment', 'SERVICE: registration-api\n        PORT_VARIABLE: EVERGREEN_CONSOLE_PORT\n    environment:\n      <<: *cluster-environment');
    expect(clusterProblems(compose(noConsole))).toEqual([
      'the cluster profile runs 0 instance(s) of operator-console, not 1',
      'the cluster profile runs 2 instance(s) of registration-api, not 1',
    ]);
  });

  it("console: no allow-list, a wildcard or port in it, a name it is reached by left out", () => {
    const single = 'EVERGREEN_CONSOLE_ALLOWED_HOSTS: 127.0.0.1,localhost,operator-console';
    expect(consoleHostProblems(compose(edited(composeText, single, '')))).toEqual([expect.stringContaining('operator-console: sets no EVERGREEN_CONSOLE_ALLOWED_HOSTS')]);
    expect(consoleHostProblems(compose(edited(composeText, single, `${single},*`)))).toEqual([expect.stringContaining('without ports or wildcards, got "*"')]);
    expect(consoleHostProblems(compose(edited(composeText, single, 'EVERGREEN_CONSOLE_ALLOWED_HOSTS: localhost:3006')))).toEqual([expect.stringContaining('got "localhost:3006"')]);
    expect(consoleHostProblems(compose(edited(composeText, single, 'EVERGREEN_CONSOLE_ALLOWED_HOSTS: localhost,operator-console')))).toEqual([
      'operator-console: EVERGREEN_CONSOLE_ALLOWED_HOSTS (localhost,operator-console) leaves out 127.0.0.1, which its HEALTHCHECK asks',
    ]);
    expect(consoleHostProblems(compose(edited(composeText, '127.0.0.1,localhost,cluster-operator-console', '127.0.0.1,localhost,operator-console')))).toEqual([
      'cluster-operator-console: EVERGREEN_CONSOLE_ALLOWED_HOSTS (127.0.0.1,localhost,operator-console) leaves out cluster-operator-console, by which other containers reach it',
    ]);
  });

  it('dependencies: a service of the plain `up` that waits for one of the cluster profile', () => {
    expect(dependencyProblems(compose(edited(composeText, '    setup:\n      condition: service_completed_successfully\n  # As the local', '    kafka-1:\n      condition: service_healthy\n    setup:\n      condition: service_completed_successfully\n  # As the local')))).toContainEqual(
      'registration-api: runs without a profile but depends on kafka-1, which only runs in profile cluster',
    );
  });

  it('dependencies: a one-shot setup that restarts never completes', () => {
    expect(dependencyProblems(compose(edited(composeText, 'restart: "no"', 'restart: on-failure')))).toContainEqual(
      'registration-api: waits for setup to complete, which restarts (on-failure)',
    );
  });

  it('Dockerfile: a missing or ignored COPY source, root, no HEALTHCHECK, an unpinned base image', () => {
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'COPY schemas/ schemas/', 'COPY schema/ schemas/') }))).toEqual([
      expect.stringContaining('schema/ does not exist in the build context'),
    ]);
    expect(dockerfileProblems(dockerfile({ dockerignore: '**/*.env\n' }))).toEqual([
      expect.stringContaining('infra/versions.env is left out of the build context by .dockerignore'),
      expect.stringContaining('infra/stack.env is left out of the build context by .dockerignore'),
    ]);
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'USER node\nWORKDIR', 'USER root\nWORKDIR') }))).toEqual([expect.stringContaining('USER root is root')]);
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'HEALTHCHECK --interval', 'RUN true\n# --interval') }))).toEqual([
      expect.stringContaining('no HEALTHCHECK'),
    ]);
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'FROM node:${NODE_MAJOR}-bookworm-slim', 'FROM node:20-bookworm-slim') }))).toEqual([
      expect.stringContaining('takes its tag from no variable of versions.env'),
    ]);
  });
});
