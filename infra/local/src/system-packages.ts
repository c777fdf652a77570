import { existsSync } from 'node:fs';
import { commandExists, isRoot, run } from './shell.ts';

export interface Requirement {
  /** What must be present, checked by `present()`. */
  what: string;
  debianPackage: string;
  present: () => boolean;
}

export function requirements(postgresMajor: string): Requirement[] {
  return [
    {
      what: `PostgreSQL ${postgresMajor} server binaries`,
      debianPackage: `postgresql-${postgresMajor}`,
      present: () => existsSync(`/usr/lib/postgresql/${postgresMajor}/bin/initdb`),
    },
    { what: 'redis-server', debianPackage: 'redis-server', present: () => commandExists('redis-server') },
    { what: 'Java 17', debianPackage: 'openjdk-17-jre-headless', present: () => commandExists('java') },
    { what: 'Apache Maven', debianPackage: 'maven', present: () => commandExists('mvn') },
  ];
}

/** Where the browser tests find Debian's Chromium (the `chromium` package); no browser is downloaded. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Debian's Chromium, which the operator console's browser tests drive headless. */
export const chromiumRequirement: Requirement = { what: 'Chromium', debianPackage: 'chromium', present: () => existsSync(CHROMIUM_PATH) };

/**
 * Installs missing Debian packages when we are root; otherwise stops with the exact apt-get
 * line to run, because a half-provisioned stack fails later with far less clear errors.
 */
export async function ensureSystemPackages(postgresMajor: string, log: (line: string) => void): Promise<void> {
  await ensureDebianPackages(requirements(postgresMajor), log);
}

/** ensureSystemPackages for any list of requirements (the browser tests': chromiumRequirement). */
export async function ensureDebianPackages(wanted: readonly Requirement[], log: (line: string) => void): Promise<void> {
  const missing = wanted.filter((requirement) => !requirement.present());
  if (missing.length === 0) return;
  const packages = missing.map((requirement) => requirement.debianPackage);
  if (!isRoot()) {
    throw new Error(
      `missing ${missing.map((requirement) => requirement.what).join(', ')}; install them with:\n  sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
  log(`installing Debian packages: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
}
