/**
 * Whether a path of the build context is left out by a .dockerignore. Docker's rules: one pattern
 * a line, `#` comments, `*` and `?` within one path segment, `**` across any number of them, a
 * leading `!` takes matches back in, the last matching line decides, and leaving out a folder
 * leaves out everything under it.
 */

interface IgnoreRule {
  pattern: RegExp;
  exception: boolean;
}

function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] ?? '';
    if (pattern.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (pattern.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!');
      const pattern = (exception ? line.slice(1) : line).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { pattern: patternToRegExp(pattern), exception };
    });
}

/** The path and every folder above it, relative to the context: a/b/c → a, a/b, a/b/c. */
function selfAndParents(path: string): string[] {
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

export function isIgnored(rules: IgnoreRule[], path: string): boolean {
  const candidates = selfAndParents(path);
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) ignored = !rule.exception;
  }
  return ignored;
}
