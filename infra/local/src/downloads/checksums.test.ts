import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EvergreenError } from '@evergreen/errors';
import type { MavenArtifact } from './artifacts.ts';
import { verifyArtifact, type FetchChecksum } from './checksums.ts';

const REPOSITORY = 'https://repo.example/maven2';
const artifact: MavenArtifact = { groupId: 'org.apache.kafka', artifactId: 'kafka-clients', version: '4.3.1', type: 'jar' };
const URL = `${REPOSITORY}/org/apache/kafka/kafka-clients/4.3.1/kafka-clients-4.3.1.jar`;
const CONTENT = 'the bytes Maven Central published';
const digest = (algorithm: string, text = CONTENT) => createHash(algorithm).update(text).digest('hex');

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A downloaded file in a temporary folder, never the real .stack or ~/.m2. */
function downloaded(content = CONTENT): string {
  dir = mkdtempSync(join(tmpdir(), 'evergreen-checksums-'));
  const file = join(dir, 'kafka-clients-4.3.1.jar');
  writeFileSync(file, content);
  return file;
}

/** A repository that publishes these checksum files (by extension) and answers 404 for the rest. */
const publishing = (files: Record<string, string>): FetchChecksum => async (url) => {
  const extension = url.slice(url.lastIndexOf('.') + 1);
  return url.startsWith(URL) ? files[extension] : undefined;
};

async function refusal(promise: Promise<unknown>): Promise<EvergreenError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EvergreenError);
  expect((error as EvergreenError).code).toBe('UNVERIFIED_DOWNLOAD');
  return error as EvergreenError;
}

describe('verifyArtifact', () => {
  it('accepts a file that matches every checksum the repository publishes, and says what it checked', async () => {
    const file = downloaded();
    const verified = await verifyArtifact({ artifact, file }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({ sha512: digest('sha512'), sha1: `${digest('sha1')}  kafka-clients-4.3.1.jar\n` }) });
    expect(verified.checked).toEqual([
      { algorithm: 'sha512', against: `${URL}.sha512` },
      { algorithm: 'sha1', against: `${URL}.sha1` },
    ]);
    expect(verified.digests.sha256).toBe(digest('sha256'));
  });

  it('refuses a file whose SHA-1 is not the published one, naming the file, both digests and where the expected one came from', async () => {
    const file = downloaded('a corrupted download');
    const error = await refusal(verifyArtifact({ artifact, file }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({ sha1: digest('sha1') }) }));
    expect(error.message).toContain(file);
    expect(error.message).toContain('org.apache.kafka:kafka-clients:jar:4.3.1');
    expect(error.message).toContain(`its SHA-1 is ${digest('sha1', 'a corrupted download')}`);
    expect(error.message).toContain(`Maven Central publishes (${URL}.sha1) says ${digest('sha1')}`);
  });

  it('refuses when one published checksum matches and another does not', async () => {
    const file = downloaded();
    const error = await refusal(verifyArtifact({ artifact, file }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({ sha512: digest('sha512'), sha256: digest('sha256', 'other'), sha1: digest('sha1') }) }));
    expect(error.message).toContain('SHA-256');
  });

  it('refuses a file for which nothing is published and nothing pinned', async () => {
    const file = downloaded();
    const error = await refusal(verifyArtifact({ artifact, file }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({}) }));
    expect(error.message).toContain(`Maven Central publishes no checksum for it (.sha512, .sha256, .sha1 beside ${URL} answer 404)`);
    const pinnedNone = await refusal(verifyArtifact({ artifact, file, pinned: { algorithm: 'sha256', variable: 'KAFKA_SHA256', value: undefined } }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({}) }));
    expect(pinnedNone.message).toContain('infra/versions.env pins none (KAFKA_SHA256)');
  });

  it('accepts such a file against its pin, and refuses it when the pin differs', async () => {
    const file = downloaded();
    const pinned = (value: string) => ({ algorithm: 'sha256', variable: 'KAFKA_SHA256', value }) as const;
    const verified = await verifyArtifact({ artifact, file, pinned: pinned(digest('sha256').toUpperCase()) }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({}) });
    expect(verified.checked).toEqual([{ algorithm: 'sha256', against: 'KAFKA_SHA256' }]);
    const error = await refusal(verifyArtifact({ artifact, file, pinned: pinned(digest('sha256', 'other')) }, { repositoryUrl: REPOSITORY, fetchChecksum: publishing({}) }));
    expect(error.message).toContain(`infra/versions.env (KAFKA_SHA256) says ${digest('sha256', 'other')}`);
  });

  it('refuses rather than install unverified when a checksum cannot be fetched or read', async () => {
    const file = downloaded();
    const offline: FetchChecksum = () => Promise.reject(new Error('getaddrinfo EAI_AGAIN repo.example'));
    expect((await refusal(verifyArtifact({ artifact, file }, { repositoryUrl: REPOSITORY, fetchChecksum: offline }))).message).toContain(`could not fetch ${URL}.sha512`);
    const html = publishing({ sha1: '<html>Moved</html>' });
    expect((await refusal(verifyArtifact({ artifact, file }, { repositoryUrl: REPOSITORY, fetchChecksum: html }))).message).toContain('holds no SHA-1 digest');
  });
});
