import type { SchemaSubjectView } from './views.ts';

/** GET on the registry's Confluent-compatible API; undefined for 404. */
async function registryGet<T>(baseUrl: string, path: string): Promise<T | undefined> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' }, signal: AbortSignal.timeout(5_000) });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Every subject with its versions and the compatibility mode that applies to it (its own, or the
 * registry's global one it falls back to), as `npm run schemas:register` set them.
 */
export async function readSchemaSubjects(ccompatUrl: string): Promise<SchemaSubjectView[]> {
  const subjects = (await registryGet<string[]>(ccompatUrl, '/subjects')) ?? [];
  const global = await registryGet<{ compatibilityLevel?: string }>(ccompatUrl, '/config');
  return Promise.all(
    [...subjects].sort().map(async (subject) => {
      const path = `/subjects/${encodeURIComponent(subject)}`;
      const [versions, own] = await Promise.all([registryGet<number[]>(ccompatUrl, `${path}/versions`), registryGet<{ compatibilityLevel?: string }>(ccompatUrl, `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`)]);
      return { subject, versions: versions ?? [], compatibility: own?.compatibilityLevel ?? global?.compatibilityLevel ?? null };
    }),
  );
}
