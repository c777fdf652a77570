import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { VerifiedArtifact } from './checksums.ts';

/**
 * What provisioning verified and installed, written beside the distributions: each artifact with
 * what its digests were checked against, and the SHA-256 of every file unpacked from them. A later
 * start checks the installed files against it, so a corrupted or altered installation is caught.
 */
export interface InstallRecord {
  /** The pinned versions it was made for. */
  versions: string;
  verifiedAt: string;
  artifacts: VerifiedArtifact[];
  /** Path under .stack/dist (with /) → SHA-256. */
  files: Record<string, string>;
  /**
   * Folders that must hold nothing else: what the JVMs load every jar of (Kafka's libs/*, Connect's
   * plugin path). A jar added there runs as much as one replaced.
   */
  closed: string[];
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() || entry.isSymbolicLink() ? [path] : [];
  });
}

const relativeKey = (root: string, file: string) => relative(root, file).split(sep).join('/');

/** The SHA-256 of every file under each of `trees` (paths relative to `root`), keyed by its path under root. */
export function hashTrees(root: string, trees: readonly string[]): Record<string, string> {
  return Object.fromEntries(trees.flatMap((tree) => filesUnder(join(root, tree)).map((file) => [relativeKey(root, file), sha256(file)])));
}

/**
 * What differs between the installation under `root` and the record: a file missing or changed,
 * or a file in a closed folder that the record does not have. Empty when it is what was verified.
 */
export function installationProblems(root: string, record: Pick<InstallRecord, 'files' | 'closed'>): string[] {
  const problems: string[] = [];
  for (const [path, expected] of Object.entries(record.files)) {
    const file = join(root, path);
    if (!existsSync(file)) {
      problems.push(`${path} is missing`);
      continue;
    }
    const actual = sha256(file);
    if (actual !== expected) problems.push(`${path} has changed (SHA-256 ${actual}, verified ${expected})`);
  }
  for (const tree of record.closed) {
    if (!existsSync(join(root, tree))) continue;
    for (const file of filesUnder(join(root, tree))) {
      const path = relativeKey(root, file);
      if (!(path in record.files)) problems.push(`${path} was not installed from a verified artifact`);
    }
  }
  return problems;
}

export function readInstallRecord(path: string): InstallRecord | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as InstallRecord;
}

export function writeInstallRecord(path: string, record: InstallRecord): void {
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}
