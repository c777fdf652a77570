import { ConfigError, hostList } from '@evergreen/platform';
import { SERVICE_ARG } from './compose-checks.ts';
import { buildArgs, buildOf, composeServices, environmentOf, networkNames, type ComposeProject } from './compose-file.ts';

/** The variable that lists the host names an operator console answers to (services/operator-console). */
export const CONSOLE_ALLOWED_HOSTS = 'EVERGREEN_CONSOLE_ALLOWED_HOSTS';

/** What the image's HEALTHCHECK (infra/docker/healthcheck.mjs) addresses. */
const HEALTHCHECK_HOST = '127.0.0.1';

/**
 * Every operator console names the hosts it answers to, its guard against DNS rebinding: the list is
 * set and valid (no port, pattern or wildcard), holds 127.0.0.1, which its HEALTHCHECK asks, and
 * localhost when it publishes a port on the host's loopback, where a browser uses either, and the
 * names other containers reach it by. A console left to its default would refuse all but loopback.
 */
export function consoleHostProblems(project: ComposeProject): string[] {
  return Object.entries(composeServices(project.interpolated)).flatMap(([name, service]): string[] => {
    const build = buildOf(service);
    if (!build || buildArgs(build)[SERVICE_ARG] !== 'operator-console') return [];
    const raw = environmentOf(service)[CONSOLE_ALLOWED_HOSTS];
    if (raw === undefined || raw.trim() === '') return [`${name}: sets no ${CONSOLE_ALLOWED_HOSTS}, so it answers to no name it is reached by in compose but loopback`];
    let listed: string[];
    try {
      listed = hostList(CONSOLE_ALLOWED_HOSTS, raw);
    } catch (error) {
      if (error instanceof ConfigError) return [`${name}: ${error.message}`];
      throw error;
    }
    const publishedOnLoopback = (service.ports ?? []).some((port) => typeof port === 'string' && port.startsWith('127.0.0.1:'));
    const needed = [HEALTHCHECK_HOST, ...(publishedOnLoopback ? ['localhost'] : []), ...networkNames(name, service)];
    return needed.filter((host) => !listed.includes(host)).map((host) => `${name}: ${CONSOLE_ALLOWED_HOSTS} (${raw}) leaves out ${host}, ${host === HEALTHCHECK_HOST ? 'which its HEALTHCHECK asks' : host === 'localhost' ? 'by which the host reaches its published port' : 'by which other containers reach it'}`);
  });
}
