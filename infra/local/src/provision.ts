import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StackConfig } from '@evergreen/platform';
import type { StackLayout } from './layout.ts';
import { run } from './shell.ts';

/** The unpacked JVM distributions of one set of pinned versions. */
export interface Distributions {
  kafkaLibs: string;
  connectPluginPath: string;
  apicurioApp: string;
}

export function distributions(layout: StackLayout, versions: StackConfig['versions']): Distributions {
  return {
    kafkaLibs: join(layout.dist, `kafka-${versions.kafka}`, 'libs'),
    connectPluginPath: join(layout.dist, `connect-plugins-debezium-${versions.debezium}`),
    apicurioApp: join(layout.dist, `apicurio-registry-${versions.apicurio}`),
  };
}

/**
 * Resolves Kafka, Kafka Connect, the Debezium plugin and Apicurio Registry from Maven Central
 * into .stack/dist, once per set of versions. A marker file written last means a download cut
 * short is redone, not half-used.
 */
export async function provisionDistributions(
  config: StackConfig,
  layout: StackLayout,
  log: (line: string) => void,
): Promise<Distributions> {
  const dists = distributions(layout, config.versions);
  const { kafka, debezium, apicurio, log4j, mavenDependencyPlugin, mavenDependencyPluginGet } = config.versions;
  const marker = join(layout.dist, `.complete-kafka-${kafka}-debezium-${debezium}-apicurio-${apicurio}-log4j-${log4j}`);
  if (existsSync(marker)) return dists;

  mkdirSync(layout.dist, { recursive: true });
  log(`downloading Kafka ${kafka}, Debezium ${debezium} and Apicurio Registry ${apicurio} from Maven Central (once)`);
  const maven = (args: string[]) => run('mvn', ['-B', '-ntp', ...args], { cwd: config.repoRoot });
  const kafkaOutput = await maven([
    '-f',
    join(config.repoRoot, 'infra', 'local', 'pom.xml'),
    `-Dkafka.version=${kafka}`,
    `-Ddebezium.version=${debezium}`,
    `-Dlog4j.version=${log4j}`,
    `-Ddependency-plugin.version=${mavenDependencyPlugin}`,
    `-Dstack.dist=${layout.dist}`,
    'package',
  ]);
  const apicurioOutput = await maven([
    `org.apache.maven.plugins:maven-dependency-plugin:${mavenDependencyPluginGet}:get`,
    `-Dartifact=io.apicurio:apicurio-registry-app:${apicurio}:tar.gz:all`,
    '-Dtransitive=false',
  ]);
  writeFileSync(join(layout.logs, 'provision.log'), kafkaOutput + apicurioOutput);
  const localRepository = process.env.MAVEN_LOCAL_REPOSITORY ?? join(homedir(), '.m2', 'repository');
  const archive = join(localRepository, 'io', 'apicurio', 'apicurio-registry-app', apicurio, `apicurio-registry-app-${apicurio}-all.tar.gz`);
  mkdirSync(dists.apicurioApp, { recursive: true });
  await run('tar', ['-xzf', archive, '-C', dists.apicurioApp]);
  for (const path of Object.values(dists)) {
    if (!existsSync(path)) throw new Error(`Maven finished but ${path} is missing; see ${join(layout.logs, 'provision.log')}`);
  }
  writeFileSync(marker, new Date().toISOString());
  return dists;
}
