import { classify, type Dependency as AnyDependency } from '@evergreen/errors';

/** The services the HTTP APIs cannot answer without, named in their 503 answers. */
export type Dependency = Extract<AnyDependency, 'postgres' | 'redis' | 'registry'>;

/** What a client is told to wait before retrying a request refused for a dependency (Retry-After, seconds). */
export const RETRY_AFTER_SECONDS = 1;

export const DEPENDENCY_NAMES: Record<Dependency, string> = { postgres: 'PostgreSQL', redis: 'Redis', registry: 'The schema registry' };

const isHttpDependency = (dependency: AnyDependency | undefined): dependency is Dependency => dependency !== undefined && Object.hasOwn(DEPENDENCY_NAMES, dependency);

/**
 * Which dependency an error says is away, slow, busy or misconfigured, if any: a transient error
 * by the one classifier (@evergreen/errors). Such a request is answered 503 with Retry-After, not
 * 500, since it may pass in a moment. A connection failure that names no dependency (a socket's
 * ECONNREFUSED) is PostgreSQL's: ioredis, the registry client and the serde name their own.
 */
export function unavailableDependency(error: unknown): Dependency | undefined {
  const { disposition, dependency } = classify(error, { dependency: 'postgres' });
  return disposition === 'transient' && isHttpDependency(dependency) ? dependency : undefined;
}

/** Whether an error says Redis cannot answer now (down, restarting, too slow): a read then falls back to PostgreSQL. */
export function isRedisUnavailable(error: unknown): boolean {
  const { disposition, dependency } = classify(error);
  return disposition === 'transient' && dependency === 'redis';
}
