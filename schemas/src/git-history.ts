import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';

function git(repoRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

export interface PreviousVersion {
  /** Where the previous version comes from: a commit id, or HEAD for uncommitted edits. */
  ref: string;
  definition: string;
}

/**
 * The version of a schema file before its current one: the committed version when the file has
 * uncommitted edits, otherwise the version before the last commit that changed it. Undefined for
 * a new file, or outside a git checkout.
 */
export function previousVersionInGit(repoRoot: string, path: string): PreviousVersion | undefined {
  const file = relative(repoRoot, path);
  const atRef = (ref: string) => git(repoRoot, ['show', `${ref}:${file}`]);
  const editedSinceHead = git(repoRoot, ['diff', '--quiet', 'HEAD', '--', file]) === undefined;
  if (editedSinceHead) {
    const committed = atRef('HEAD');
    return committed === undefined ? undefined : { ref: 'HEAD', definition: committed };
  }
  const commits = git(repoRoot, ['log', '-n', '2', '--format=%H', '--', file])?.trim().split('\n') ?? [];
  const before = commits[1];
  if (!before) return undefined;
  const definition = atRef(before);
  return definition === undefined ? undefined : { ref: before.slice(0, 12), definition };
}
