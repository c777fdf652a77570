import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { EvergreenError } from '@evergreen/errors';
import { coordinatesOf, repositoryPath, type ResolvedArtifact } from './artifacts.ts';

/** The digests a Maven repository may publish beside an artifact, strongest first. */
export const CHECKSUM_ALGORITHMS = ['sha512', 'sha256', 'sha1'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

const HEX_LENGTH: Record<ChecksumAlgorithm, number> = { sha512: 128, sha256: 64, sha1: 40 };
const LABEL: Record<ChecksumAlgorithm, string> = { sha512: 'SHA-512', sha256: 'SHA-256', sha1: 'SHA-1' };

/** Where provisioning fetches checksums from: Maven Central itself, whatever mirror Maven downloads through. */
export const MAVEN_CENTRAL = 'https://repo.maven.apache.org/maven2';

/** A checksum file's text, or undefined when the repository has none (404); throws when it cannot tell. */
export type FetchChecksum = (url: string) => Promise<string | undefined>;

export const fetchChecksum: FetchChecksum = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
};

export type Digests = Record<ChecksumAlgorithm, string>;

/** Every digest of a file in one read (the registry's archive is over 100 MB). */
export async function digestsOf(file: string): Promise<Digests> {
  const hashes = CHECKSUM_ALGORITHMS.map((algorithm) => [algorithm, createHash(algorithm)] as const);
  for await (const chunk of createReadStream(file)) for (const [, hash] of hashes) hash.update(chunk as Buffer);
  return Object.fromEntries(hashes.map(([algorithm, hash]) => [algorithm, hash.digest('hex')])) as Digests;
}

/** A digest pinned for an artifact the repository publishes no checksum for (infra/versions.env). */
export interface PinnedChecksum {
  algorithm: ChecksumAlgorithm;
  /** The variable that holds it, named in a refusal. */
  variable: string;
  value: string | undefined;
}

export interface ArtifactToVerify extends ResolvedArtifact {
  pinned?: PinnedChecksum;
}

export interface VerifiedArtifact {
  coordinates: string;
  file: string;
  /** What each digest was checked against: a checksum file's URL, or the pin's variable. */
  checked: Array<{ algorithm: ChecksumAlgorithm; against: string }>;
  digests: Digests;
}

export interface VerifyOptions {
  repositoryUrl?: string;
  fetchChecksum?: FetchChecksum;
}

const refuse = (message: string, cause?: unknown) => new EvergreenError('UNVERIFIED_DOWNLOAD', message, cause === undefined ? {} : { cause });

/** The digest of a checksum file: its first word (some are `<digest>  <file name>`), when it is one. */
function digestIn(text: string, algorithm: ChecksumAlgorithm): string | undefined {
  const word = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return word.length === HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(word) ? word : undefined;
}

/**
 * Checks a downloaded file against every checksum the repository publishes beside it (.sha512,
 * .sha256, .sha1) and against its pin, if it has one. Refuses (UNVERIFIED_DOWNLOAD, naming the file,
 * the digest found and the one expected, and where that came from) on any mismatch, and when neither
 * the repository nor a pin gives one: an artifact that cannot be verified is not installed. A
 * checksum that cannot be fetched (no network) refuses too, rather than install unverified.
 */
export async function verifyArtifact(item: ArtifactToVerify, options: VerifyOptions = {}): Promise<VerifiedArtifact> {
  const repositoryUrl = (options.repositoryUrl ?? MAVEN_CENTRAL).replace(/\/+$/, '');
  const fetchText = options.fetchChecksum ?? fetchChecksum;
  const coordinates = coordinatesOf(item.artifact);
  const url = `${repositoryUrl}/${repositoryPath(item.artifact)}`;
  const digests = await digestsOf(item.file);
  const checked: VerifiedArtifact['checked'] = [];
  const mismatch = (algorithm: ChecksumAlgorithm, expected: string, source: string) =>
    refuse(`refusing to install ${item.file} (${coordinates}): its ${LABEL[algorithm]} is ${digests[algorithm]}, ${source} says ${expected}. It is corrupt or not the published artifact: delete it and provision again.`);

  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const checksumUrl = `${url}.${algorithm}`;
    let text: string | undefined;
    try {
      text = await fetchText(checksumUrl);
    } catch (error) {
      throw refuse(`refusing to install ${item.file} (${coordinates}) unverified: could not fetch ${checksumUrl}: ${(error as Error).message}`, error);
    }
    if (text === undefined) continue;
    const expected = digestIn(text, algorithm);
    if (expected === undefined) throw refuse(`refusing to install ${item.file} (${coordinates}): ${checksumUrl} holds no ${LABEL[algorithm]} digest ("${text.trim().slice(0, 80)}")`);
    if (expected !== digests[algorithm]) throw mismatch(algorithm, expected, `Maven Central publishes (${checksumUrl})`);
    checked.push({ algorithm, against: checksumUrl });
  }

  const { pinned } = item;
  if (pinned?.value !== undefined) {
    if (pinned.value.toLowerCase() !== digests[pinned.algorithm]) throw mismatch(pinned.algorithm, pinned.value, `infra/versions.env (${pinned.variable})`);
    checked.push({ algorithm: pinned.algorithm, against: pinned.variable });
  }
  if (checked.length === 0) {
    const pin = pinned ? ` and infra/versions.env pins none (${pinned.variable})` : '';
    throw refuse(
      `refusing to install ${item.file} (${coordinates}): Maven Central publishes no checksum for it (${CHECKSUM_ALGORITHMS.map((algorithm) => `.${algorithm}`).join(', ')} beside ${url} answer 404)${pin}, so it cannot be verified`,
    );
  }
  return { coordinates, file: item.file, checked, digests };
}

/** Verifies each artifact, a few at a time; the first refusal refuses them all. */
export async function verifyArtifacts(items: readonly ArtifactToVerify[], options: VerifyOptions = {}, concurrency = 8): Promise<VerifiedArtifact[]> {
  const results: VerifiedArtifact[] = new Array(items.length);
  let next = 0;
  let refused = false;
  const worker = async () => {
    while (!refused && next < items.length) {
      const index = next++;
      try {
        results[index] = await verifyArtifact(items[index] as ArtifactToVerify, options);
      } catch (error) {
        refused = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
