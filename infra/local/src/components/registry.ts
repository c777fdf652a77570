import { join } from 'node:path';
import type { Component, StackContext } from '../component.ts';
import type { Distributions } from '../provision.ts';
import { httpOk, jvmDaemon } from './jvm-daemon.ts';

/**
 * Apicurio Registry, a Quarkus app, with its SQL storage on our PostgreSQL so schema ids
 * survive restarts. Clients use its Confluent-compatible API under /apis/ccompat/v7.
 */
export function registry(context: StackContext, dists: Distributions): Component {
  const { config, layout } = context;
  const { host, port } = config.registry;
  const pg = config.postgres;
  return jvmDaemon(context, {
    name: 'registry',
    endpoint: config.registry.ccompatUrl,
    heap: config.registry.heap,
    cwd: dists.apicurioApp,
    jvmOptions: [
      `-Dquarkus.http.host=${host}`,
      `-Dquarkus.http.port=${port}`,
      '-Dapicurio.storage.kind=sql',
      '-Dapicurio.storage.sql.kind=postgresql',
      `-Dapicurio.datasource.url=jdbc:postgresql://${pg.host}:${pg.port}/${config.registryDatabase}`,
      `-Dapicurio.datasource.username=${pg.user}`,
      `-Dapicurio.datasource.password=${pg.password}`,
      // A small pool: the registry is asked once per schema, then clients cache.
      '-Dapicurio.datasource.jdbc.initial-size=2',
      '-Dapicurio.datasource.jdbc.min-size=2',
      '-Dapicurio.datasource.jdbc.max-size=10',
      `-Dapicurio.storage.snapshot.location=${join(layout.data, 'registry-snapshots')}`,
    ],
    javaArgs: ['-jar', join(dists.apicurioApp, `apicurio-registry-app-${config.versions.apicurio}-runner.jar`)],
    startupTimeoutMs: 180_000,
    isHealthy: () => httpOk(`${config.registry.url}/health/ready`),
  });
}
