import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EvergreenError } from '@evergreen/errors';
import { loadStackConfig, type StackConfig } from '@evergreen/platform';
import { repositoryPath, type MavenArtifact, type ResolvedArtifact } from './downloads/artifacts.ts';
import type { FetchChecksum } from './downloads/checksums.ts';
import { stackLayout, type StackLayout } from './layout.ts';
import { apicurioAppArtifact, debeziumPluginArtifact, provisionDistributions, type ResolvedDownloads } from './provision.ts';

// Everything here lives in a temporary folder: a fake Maven repository, fake downloads and a fake
// .stack. The real .stack and ~/.m2 are never read or written.

const REPOSITORY = 'https://repo.example/maven2';
const sha = (algorithm: string, file: string) => createHash(algorithm).update(readFileSync(file)).digest('hex');

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

interface Fixture {
  config: StackConfig;
  layout: StackLayout;
  downloads: ResolvedDownloads;
  /** Central's checksum files, by URL; a test changes or removes them. */
  published: Map<string, string>;
  fetchChecksum: FetchChecksum;
  log: string[];
}

function fixture(): Fixture {
  root = mkdtempSync(join(tmpdir(), 'evergreen-provision-'));
  const base = loadStackConfig();
  const versions = { ...base.versions, kafka: '9.9.9', debezium: '9.9.9.Final', apicurio: '9.9.9' };
  const repository = join(root, 'm2');
  const put = (artifact: MavenArtifact, write: (file: string) => void): ResolvedArtifact => {
    const file = join(repository, repositoryPath(artifact));
    mkdirSync(join(file, '..'), { recursive: true });
    write(file);
    return { artifact, file };
  };
  const archive = (files: Record<string, string>) => (file: string) => {
    const content = mkdtempSync(join(root as string, 'archive-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(content, name, '..'), { recursive: true });
      writeFileSync(join(content, name), text);
    }
    execFileSync('tar', ['-czf', file, '-C', content, '.']);
  };
  const jar = (artifactId: string) => put({ groupId: 'org.example', artifactId, version: '1.0', type: 'jar' }, (file) => writeFileSync(file, `the classes of ${artifactId}`));
  const downloads: ResolvedDownloads = {
    kafkaLibs: [jar('kafka'), jar('connect-runtime')],
    debeziumPlugin: put(debeziumPluginArtifact(versions), archive({ 'debezium-connector-postgres/debezium-core.jar': 'debezium' })),
    apicurioApp: put(apicurioAppArtifact(versions), archive({ 'apicurio-registry-app-9.9.9-runner.jar': 'runner', 'lib/quarkus.jar': 'quarkus' })),
  };
  // Central publishes a .sha1 and a .sha256 for every artifact but the Debezium archive, which is pinned.
  const published = new Map<string, string>();
  for (const { artifact, file } of [...downloads.kafkaLibs, downloads.apicurioApp]) {
    published.set(`${REPOSITORY}/${repositoryPath(artifact)}.sha1`, sha('sha1', file));
    published.set(`${REPOSITORY}/${repositoryPath(artifact)}.sha256`, sha('sha256', file));
  }
  const config: StackConfig = { ...base, repoRoot: root, versions: { ...versions, debeziumPluginSha256: sha('sha256', downloads.debeziumPlugin.file) } };
  return { config, layout: stackLayout(root), downloads, published, fetchChecksum: async (url) => published.get(url), log: [] };
}

function provision(f: Fixture, resolve: () => Promise<ResolvedDownloads> = async () => f.downloads) {
  return provisionDistributions(f.config, f.layout, (line) => void f.log.push(line), { repositoryUrl: REPOSITORY, fetchChecksum: f.fetchChecksum, resolve });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EvergreenError);
  expect((error as EvergreenError).code).toBe('UNVERIFIED_DOWNLOAD');
  return (error as Error).message;
}

const recordOf = (f: Fixture) => readdirSync(f.layout.dist).filter((name) => name.startsWith('verified-'));

describe('provisionDistributions', () => {
  it('installs verified downloads, records what it verified, and on the next start only checks the installation', async () => {
    const f = fixture();
    const dists = await provision(f);
    expect(readdirSync(dists.kafkaLibs).sort()).toEqual(['connect-runtime-1.0.jar', 'kafka-1.0.jar']);
    expect(existsSync(join(dists.connectPluginPath, 'debezium-connector-postgres', 'debezium-core.jar'))).toBe(true);
    expect(readFileSync(join(dists.apicurioApp, 'lib', 'quarkus.jar'), 'utf8')).toBe('quarkus');
    expect(recordOf(f)).toEqual([`verified-kafka-9.9.9-debezium-9.9.9.Final-apicurio-9.9.9-log4j-${f.config.versions.log4j}.json`]);
    const record = JSON.parse(readFileSync(join(f.layout.dist, recordOf(f)[0] as string), 'utf8'));
    expect(record.artifacts.find((artifact: { coordinates: string }) => artifact.coordinates.startsWith('io.debezium')).checked).toEqual([{ algorithm: 'sha256', against: 'DEBEZIUM_PLUGIN_SHA256' }]);
    expect(readdirSync(f.layout.dist).filter((name) => name.startsWith('.staging-'))).toEqual([]);

    await provision(f, () => Promise.reject(new Error('resolved again')));
  });

  it('refuses a download whose checksum is not the published one, says which and what was expected, and installs nothing', async () => {
    const f = fixture();
    const [kafka] = f.downloads.kafkaLibs;
    writeFileSync((kafka as ResolvedArtifact).file, 'a corrupted download');
    const message = await refusal(provision(f));
    expect(message).toContain((kafka as ResolvedArtifact).file);
    expect(message).toContain(`says ${f.published.get(`${REPOSITORY}/${repositoryPath((kafka as ResolvedArtifact).artifact)}.sha256`)}`);
    expect(readdirSync(f.layout.dist).filter((name) => !name.startsWith('.'))).toEqual([]);
  });

  it('refuses the Debezium archive when its pin is missing or differs, since Central publishes no checksum for it', async () => {
    const f = fixture();
    const unpinned = await refusal(provisionDistributions({ ...f.config, versions: { ...f.config.versions, debeziumPluginSha256: undefined } }, f.layout, () => undefined, { repositoryUrl: REPOSITORY, fetchChecksum: f.fetchChecksum, resolve: async () => f.downloads }));
    expect(unpinned).toContain('publishes no checksum for it');
    expect(unpinned).toContain('pins none (DEBEZIUM_PLUGIN_SHA256)');
    const wrong = await refusal(provisionDistributions({ ...f.config, versions: { ...f.config.versions, debeziumPluginSha256: '0'.repeat(64) } }, f.layout, () => undefined, { repositoryUrl: REPOSITORY, fetchChecksum: f.fetchChecksum, resolve: async () => f.downloads }));
    expect(wrong).toContain(`infra/versions.env (DEBEZIUM_PLUGIN_SHA256) says ${'0'.repeat(64)}`);
  });

  it('catches an installation that changed since it was verified: a file altered or removed, a jar added to the class path', async () => {
    const f = fixture();
    const dists = await provision(f);
    writeFileSync(join(dists.kafkaLibs, 'kafka-1.0.jar'), 'bit rot');
    expect(await refusal(provision(f))).toContain('kafka-9.9.9/libs/kafka-1.0.jar has changed');
    writeFileSync(join(dists.kafkaLibs, 'kafka-1.0.jar'), 'the classes of kafka');
    writeFileSync(join(dists.kafkaLibs, 'planted.jar'), 'anything');
    expect(await refusal(provision(f))).toContain('kafka-9.9.9/libs/planted.jar was not installed from a verified artifact');
    rmSync(join(dists.kafkaLibs, 'planted.jar'));
    rmSync(join(dists.apicurioApp, 'lib', 'quarkus.jar'));
    expect(await refusal(provision(f))).toContain('apicurio-registry-9.9.9/lib/quarkus.jar is missing');
  });

  it('verifies an installation made before verification existed without touching it, and records it', async () => {
    const f = fixture();
    const dists = await provision(f);
    for (const name of recordOf(f)) rmSync(join(f.layout.dist, name));
    writeFileSync(join(f.layout.dist, `.complete-kafka-9.9.9-debezium-9.9.9.Final-apicurio-9.9.9-log4j-${f.config.versions.log4j}`), 'then');
    const jar = join(dists.kafkaLibs, 'kafka-1.0.jar');
    const before = statSync(jar).ino;
    await provision(f);
    expect(statSync(jar).ino).toBe(before);
    expect(f.log).toContain("verifying the distributions installed before against Maven Central's checksums (once)");
    expect(recordOf(f)).toHaveLength(1);

    for (const name of recordOf(f)) rmSync(join(f.layout.dist, name));
    writeFileSync(jar, 'altered in place');
    expect(await refusal(provision(f))).toContain('differ from the verified artifacts: kafka-9.9.9/libs/kafka-1.0.jar has changed');
    expect(readFileSync(jar, 'utf8')).toBe('altered in place');
    expect(recordOf(f)).toEqual([]);
  });
});
