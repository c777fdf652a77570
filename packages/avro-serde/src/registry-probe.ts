/**
 * Asks a Confluent-compatible registry directly, past every cache, whether it serves what it must:
 * how AvroSerde tells "this schema id does not exist" (the record is poison) from "this is not a
 * healthy registry" (a wrong URL, a proxy answering 404, a registry restored empty: retry).
 */
export interface RegistryProbe {
  /**
   * Whether the registry serves the schema with this id now (GET /schemas/ids/{id}): true on 200
   * with a schema in it, false on 404 or on an answer that is no schema. Rejects when it cannot
   * tell (unreachable, 5xx).
   */
  servesSchema(id: number): Promise<boolean>;
  /** The subjects the registry lists (GET /subjects); [] for 404 or an answer that is no list. Rejects when it cannot tell. */
  subjects(): Promise<string[]>;
}

/** A RegistryProbe over HTTP, at the registry's Confluent-compatible base URL. */
export function httpRegistryProbe(baseUrl: string, timeoutMs = 2_000): RegistryProbe {
  const base = baseUrl.replace(/\/+$/, '');
  const get = async (path: string): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, {
      headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`GET ${path} answered HTTP ${response.status}`);
    // A proxy's HTML page is no schema and no list: it proves nothing.
    return response.json().catch(() => undefined);
  };
  return {
    async servesSchema(id) {
      const body = await get(`/schemas/ids/${id}`);
      return typeof body === 'object' && body !== null && typeof (body as { schema?: unknown }).schema === 'string';
    },
    async subjects() {
      const body = await get('/subjects');
      return Array.isArray(body) ? body.filter((subject): subject is string => typeof subject === 'string') : [];
    },
  };
}
