import { mkdirSync, rmSync } from 'node:fs';
import { loadStackConfig, loadStackEnv, type StackConfig } from '@evergreen/platform';
import type { Component, StackContext } from './component.ts';
import { connect } from './components/connect.ts';
import { kafka } from './components/kafka.ts';
import { postgres, type PostgresComponent } from './components/postgres.ts';
import { redis } from './components/redis.ts';
import { redisCluster, type RedisClusterComponent } from './components/redis-cluster.ts';
import { registry } from './components/registry.ts';
import { memoryOf, type ProcessMemory } from './memory.ts';
import { logFile, stackLayout, type StackLayout } from './layout.ts';
import { distributions, provisionDistributions } from './provision.ts';
import { ensureSystemPackages } from './system-packages.ts';

export interface LocalStack {
  config: StackConfig;
  layout: StackLayout;
  /** In start order; each one's dependencies come before it. */
  components: Component[];
  /** Start order: the components of a stage start side by side once the stages before are up. */
  stages: Component[][];
  postgres: PostgresComponent;
  /** The cluster profile's Redis Cluster (absent on the single profile). */
  redisCluster: RedisClusterComponent | undefined;
}

export function localStack(config: StackConfig = loadStackConfig()): LocalStack {
  const layout = stackLayout(config.repoRoot, config.profile);
  const context: StackContext = {
    config,
    layout,
    templateValues: { ...loadStackEnv(), STACK_DATA: layout.data },
  };
  const dists = distributions(layout, config.versions);
  const database = postgres(context);
  const cluster = config.redis.nodes.length > 0 ? redisCluster(context) : undefined;
  // The Kafka nodes start together: each waits for a quorum of the others before it answers.
  const stages: Component[][] = [
    [database],
    [cluster ?? redis(context), ...config.kafka.nodes.map((node) => kafka(context, dists, node))],
    [registry(context, dists), ...config.connect.workers.map((worker, index) => connect(context, dists, worker, index))],
  ];
  return { config, layout, components: stages.flat(), stages, postgres: database, redisCluster: cluster };
}

/**
 * Creates a database of the running stack's PostgreSQL, owned by the application role, unless it
 * exists (the end-to-end tests' own database, say); true when it created it.
 */
export function ensureDatabase(stack: LocalStack, database: string): Promise<boolean> {
  return stack.postgres.ensureDatabase(database);
}

export interface ComponentStatus {
  name: string;
  running: boolean;
  healthy: boolean;
  endpoint: string;
  log: string;
  /** Of the component's whole process tree (PostgreSQL is a postmaster and its backends). */
  memory: ProcessMemory | undefined;
}

export async function stackStatus(stack: LocalStack): Promise<ComponentStatus[]> {
  return Promise.all(
    stack.components.map(async (component) => ({
      name: component.name,
      running: component.pid() !== undefined,
      memory: memoryOf(component.pid()),
      healthy: await component.isHealthy(),
      endpoint: component.endpoint,
      log: logFile(stack.layout, component.name),
    })),
  );
}

/**
 * Whether any component's process is running, healthy or not: a stack someone else started. A
 * health check can fail on a busy machine; a run that took that for "down" and stopped the stack
 * at its end would pull it from under whoever else was using it.
 */
export function isAnyComponentRunning(stack: LocalStack): boolean {
  return stack.components.some((component) => component.pid() !== undefined);
}

export async function isStackUp(stack: LocalStack): Promise<boolean> {
  return (await stackStatus(stack)).every((status) => status.healthy);
}

/**
 * Brings every component up and healthy. Components already healthy are left alone, so on a
 * running stack this does nothing. Registry and Connect start side by side once their
 * dependencies (PostgreSQL, Kafka) answer; the cluster profile's Kafka nodes start together.
 */
export async function stackUp(stack: LocalStack, log: (line: string) => void = console.log): Promise<void> {
  if (await isStackUp(stack)) {
    log('stack is already up');
    return;
  }
  for (const dir of Object.values(stack.layout)) mkdirSync(dir, { recursive: true });
  await ensureSystemPackages(stack.config.versions.postgresMajor, log);
  await provisionDistributions(stack.config, stack.layout, log);

  const bring = async (component: Component) => {
    if (await component.isHealthy()) return;
    if (component.pid() !== undefined) {
      // Alive but not answering: perhaps still starting, perhaps wedged. Restart it cleanly.
      log(`${component.name} is running but not healthy; restarting it`);
      await component.stop();
    }
    const started = Date.now();
    log(`starting ${component.name} …`);
    await component.start();
    log(`${component.name} is up at ${component.endpoint} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };
  for (const stage of stack.stages) await Promise.all(stage.map(bring));
}

/** Stops every component, dependants first. */
export async function stackDown(stack: LocalStack, log: (line: string) => void = console.log): Promise<void> {
  for (const component of [...stack.components].reverse()) {
    if (component.pid() === undefined) continue;
    log(`stopping ${component.name} …`);
    await component.stop();
  }
}

/** Stops everything and forgets all data; downloaded distributions are kept. */
export async function stackReset(stack: LocalStack, log: (line: string) => void = console.log): Promise<void> {
  await stackDown(stack, log);
  for (const dir of [stack.layout.data, stack.layout.logs, stack.layout.run, stack.layout.conf]) rmSync(dir, { recursive: true, force: true });
  log('stack data removed');
}
