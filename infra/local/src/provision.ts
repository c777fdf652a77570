import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { EvergreenError } from '@evergreen/errors';
import type { StackConfig } from '@evergreen/platform';
import { coordinatesOf, parseDependencyList, repositoryPath, type MavenArtifact, type ResolvedArtifact } from './downloads/artifacts.ts';
import { verifyArtifacts, type VerifyOptions } from './downloads/checksums.ts';
import { hashTrees, installationProblems, readInstallRecord, writeInstallRecord } from './downloads/installed.ts';
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

/** What the stack installs, resolved into Maven's local repository. */
export interface ResolvedDownloads {
  /** Kafka's and Connect's class path: every runtime jar of the broker, the Connect worker and log4j2. */
  kafkaLibs: ResolvedArtifact[];
  debeziumPlugin: ResolvedArtifact;
  apicurioApp: ResolvedArtifact;
}

export type ResolveDownloads = (config: StackConfig, layout: StackLayout, log: (line: string) => void) => Promise<ResolvedDownloads>;

export interface ProvisionOptions extends VerifyOptions {
  /** Maven by default (resolveWithMaven); a test gives files of its own. */
  resolve?: ResolveDownloads;
}

/** The variable of infra/versions.env that pins the Debezium archive's SHA-256 (Central publishes none). */
export const DEBEZIUM_PIN = 'DEBEZIUM_PLUGIN_SHA256';

const versionKey = ({ kafka, debezium, apicurio, log4j }: StackConfig['versions']) => `kafka-${kafka}-debezium-${debezium}-apicurio-${apicurio}-log4j-${log4j}`;

export const debeziumPluginArtifact = (versions: StackConfig['versions']): MavenArtifact => ({ groupId: 'io.debezium', artifactId: 'debezium-connector-postgres', version: versions.debezium, type: 'tar.gz', classifier: 'plugin' });
export const apicurioAppArtifact = (versions: StackConfig['versions']): MavenArtifact => ({ groupId: 'io.apicurio', artifactId: 'apicurio-registry-app', version: versions.apicurio, type: 'tar.gz', classifier: 'all' });

const refuse = (message: string) => new EvergreenError('UNVERIFIED_DOWNLOAD', message);
const listed = (problems: string[]) => `${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`;

/**
 * Kafka, Kafka Connect, the Debezium plugin and Apicurio Registry from Maven Central into
 * .stack/dist, once per set of versions: Maven resolves them into its local repository, each is
 * verified against the checksums Maven Central publishes for it (the Debezium archive, for which
 * it publishes none, against DEBEZIUM_PLUGIN_SHA256), and only then are they copied and unpacked,
 * into a staging folder moved into place whole. A refusal installs nothing and says which file and
 * what was expected. The record of what was verified, down to every installed file's SHA-256, is
 * kept beside them; every later call checks the installation against it (a fraction of a second)
 * and refuses one that changed. A .stack installed before verification existed is verified once,
 * against freshly verified artifacts, without being touched (the stack may be running from it).
 */
export async function provisionDistributions(config: StackConfig, layout: StackLayout, log: (line: string) => void, options: ProvisionOptions = {}): Promise<Distributions> {
  const dists = distributions(layout, config.versions);
  const key = versionKey(config.versions);
  const recordPath = join(layout.dist, `verified-${key}.json`);
  const under = (path: string) => relative(layout.dist, path).split(sep).join('/');
  const trees = [dists.kafkaLibs, dists.connectPluginPath, dists.apicurioApp].map(under);
  const redo = `To install them anew, delete ${trees.map((tree) => join(layout.dist, tree)).join(', ')} and ${recordPath}, and run \`npm run stack:up\`: they are verified again first`;

  const record = readInstallRecord(recordPath);
  if (record) {
    const problems = installationProblems(layout.dist, record);
    if (problems.length > 0) throw refuse(`the distributions under ${layout.dist} are not what was verified (${recordPath}): ${listed(problems)}. ${redo}.`);
    return dists;
  }

  mkdirSync(layout.dist, { recursive: true });
  const installedBefore = existsSync(join(layout.dist, `.complete-${key}`)) && trees.every((tree) => existsSync(join(layout.dist, tree)));
  log(
    installedBefore
      ? "verifying the distributions installed before against Maven Central's checksums (once)"
      : `downloading Kafka ${config.versions.kafka}, Debezium ${config.versions.debezium} and Apicurio Registry ${config.versions.apicurio} from Maven Central and verifying their checksums (once)`,
  );
  const resolved = await (options.resolve ?? resolveWithMaven)(config, layout, log);
  const verified = await verifyArtifacts(
    [...resolved.kafkaLibs, { ...resolved.debeziumPlugin, pinned: { algorithm: 'sha256', variable: DEBEZIUM_PIN, value: config.versions.debeziumPluginSha256 } }, resolved.apicurioApp],
    options,
  );
  log(`verified ${verified.length} artifacts against their checksums`);

  const staging = mkdtempSync(join(layout.dist, '.staging-'));
  try {
    await unpack(resolved, staging, { kafkaLibs: trees[0] as string, connectPluginPath: trees[1] as string, apicurioApp: trees[2] as string });
    const files = hashTrees(staging, trees);
    // Every jar of these is loaded: one that was not verified must not sit among them.
    const closed = trees.slice(0, 2);
    if (installedBefore) {
      const problems = installationProblems(layout.dist, { files, closed });
      if (problems.length > 0) throw refuse(`the distributions installed under ${layout.dist} differ from the verified artifacts: ${listed(problems)}. ${redo}.`);
    } else {
      for (const tree of trees) {
        const target = join(layout.dist, tree);
        rmSync(target, { recursive: true, force: true });
        mkdirSync(dirname(target), { recursive: true });
        renameSync(join(staging, tree), target);
      }
    }
    writeInstallRecord(recordPath, { versions: key, verifiedAt: new Date().toISOString(), artifacts: verified, files, closed });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dists;
}

/** Copies the jars and unpacks the two archives into `root`, at the given paths under it. */
async function unpack(resolved: ResolvedDownloads, root: string, at: Record<keyof Distributions, string>): Promise<void> {
  const libs = join(root, at.kafkaLibs);
  mkdirSync(libs, { recursive: true });
  const names = new Map<string, string>();
  for (const { artifact, file } of resolved.kafkaLibs) {
    const name = basename(file);
    const other = names.get(name);
    // Copied flat, as copy-dependencies did: two artifacts of one file name would hide one of them.
    if (other !== undefined) throw new EvergreenError('CONFLICT', `${coordinatesOf(artifact)} and ${other} are both ${name}; the class path can hold only one`);
    names.set(name, coordinatesOf(artifact));
    copyFileSync(file, join(libs, name));
  }
  for (const [archive, path] of [[resolved.debeziumPlugin, at.connectPluginPath], [resolved.apicurioApp, at.apicurioApp]] as const) {
    mkdirSync(join(root, path), { recursive: true });
    await run('tar', ['-xzf', archive.file, '-C', join(root, path)]);
  }
}

/**
 * Maven resolves the downloads into its local repository (MAVEN_LOCAL_REPOSITORY, else ~/.m2),
 * with strict checksums (-C): it refuses a download whose published .sha1 or .md5 it lacks or does
 * not match, build plugins included. The Debezium archive is fetched without, since Central
 * publishes none for it; provisionDistributions verifies it against its pin before it is unpacked.
 */
export const resolveWithMaven: ResolveDownloads = async (config, layout, log) => {
  const { kafka, log4j, mavenDependencyPlugin, mavenDependencyPluginGet } = config.versions;
  const localRepository = process.env.MAVEN_LOCAL_REPOSITORY ?? join(homedir(), '.m2', 'repository');
  const maven = (args: string[], strict: boolean) =>
    run('mvn', ['-B', '-ntp', ...(strict ? ['--strict-checksums'] : []), ...(process.env.MAVEN_LOCAL_REPOSITORY ? [`-Dmaven.repo.local=${localRepository}`] : []), ...args], { cwd: config.repoRoot });
  const get = (artifact: MavenArtifact) => [
    `org.apache.maven.plugins:maven-dependency-plugin:${mavenDependencyPluginGet}:get`,
    `-Dartifact=${artifact.groupId}:${artifact.artifactId}:${artifact.version}:${artifact.type}:${artifact.classifier ?? ''}`,
    '-Dtransitive=false',
  ];
  const listDir = mkdtempSync(join(tmpdir(), 'evergreen-kafka-libs-'));
  const listFile = join(listDir, 'dependencies.txt');
  const debeziumPlugin = debeziumPluginArtifact(config.versions);
  const apicurioApp = apicurioAppArtifact(config.versions);
  const outputs: string[] = [];
  try {
    outputs.push(
      await maven(
        ['-f', join(config.repoRoot, 'infra', 'local', 'pom.xml'), `-Dkafka.version=${kafka}`, `-Dlog4j.version=${log4j}`, `-Ddependency-plugin.version=${mavenDependencyPlugin}`, `-Dlist.output=${listFile}`, 'package'],
        true,
      ),
    );
    outputs.push(await maven(get(apicurioApp), true));
    outputs.push(await maven(get(debeziumPlugin), false));
    const kafkaLibs = parseDependencyList(readFileSync(listFile, 'utf8'));
    if (kafkaLibs.length === 0) throw new Error(`Maven listed no runtime dependency for Kafka ${kafka}; see ${join(layout.logs, 'provision.log')}`);
    log(`Maven resolved ${kafkaLibs.length} jars, the Debezium plugin and the registry`);
    return {
      kafkaLibs,
      debeziumPlugin: { artifact: debeziumPlugin, file: join(localRepository, repositoryPath(debeziumPlugin)) },
      apicurioApp: { artifact: apicurioApp, file: join(localRepository, repositoryPath(apicurioApp)) },
    };
  } finally {
    mkdirSync(layout.logs, { recursive: true });
    writeFileSync(join(layout.logs, 'provision.log'), outputs.join(''));
    rmSync(listDir, { recursive: true, force: true });
  }
};
