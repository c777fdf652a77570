import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { SerdeError, SerdeErrorCode } from './errors.ts';
import { httpRegistryProbe, type RegistryProbe } from './registry-probe.ts';
import { assertValid } from './validate.ts';
import { frame, unframe } from './wire-format.ts';

/** One schema as this process knows it: the registry subject, the .avsc text and its parsed type. */
export interface LocalSchema {
  subject: string;
  definition: string;
  type: avro.Type;
}

export interface DecodedMessage<T> {
  schemaId: number;
  /** The writer's record name, e.g. dev.evergreen.user.UserRegistered. */
  writerName: string;
  value: T;
}

export type Compatibility = keyof typeof COMPATIBILITY;

interface RegistryResponseError {
  status?: number;
  message?: string;
}

// Answers about us, not about the request: credentials, permissions, a timeout, rate limiting.
// They pass once an operator (or time) fixes them, so a consumer must wait, not dead-letter
// every record it reads meanwhile.
const ACCESS_REFUSED = new Set([401, 403, 408, 429]);

/**
 * How long one registry lookup may take, retries and the health probe included, unless the serde is
 * told otherwise (AvroSerdeOptions.timeoutMs; the services read EVERGREEN_REGISTRY_TIMEOUT_MS).
 */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 5_000;

export interface AvroSerdeOptions {
  /**
   * The bound of every registry lookup and registration: past it the call fails with
   * REGISTRY_TIMEOUT (transient: a consumer retries the record, the API answers 503 naming the
   * registry) and every caller waiting on the same lookup is let go with it.
   */
  timeoutMs?: number;
}

type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** Gives every HTTP request of the registry client a timeout (mappersmith's own: it aborts the request). */
const requestTimeout =
  (timeoutMs: number): RegistryMiddleware =>
  () => ({
    async prepareRequest(next) {
      return (await next()).enhance({ timeout: timeoutMs });
    },
  });

/** Network trouble, 5xx and refused access may pass; other 4xx answers mean the request itself is wrong. */
function classifyRegistryError(error: unknown, what: string): SerdeError {
  if (error instanceof SerdeError) return error;
  const { status, message = String(error) } = error as RegistryResponseError;
  // mappersmith's own per-request bound (set to the serde's): the registry took the request and said nothing.
  if (/Timeout \(\d+ms\)$/.test(message) || (error as Error).name === 'TimeoutError') {
    return new SerdeError(SerdeErrorCode.REGISTRY_TIMEOUT, `schema registry did not answer while ${what}: ${message}`, { cause: error });
  }
  // mappersmith reports a failed connection as a response without a server status (or 400 with the socket error).
  const unreachable = status === undefined || status >= 500 || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket|network|timeout/i.test(message);
  if (unreachable) return new SerdeError(SerdeErrorCode.REGISTRY_UNAVAILABLE, `schema registry unavailable while ${what}: ${message}`, { cause: error });
  if (ACCESS_REFUSED.has(status)) {
    const code = status === 401 || status === 403 ? SerdeErrorCode.REGISTRY_UNHEALTHY : SerdeErrorCode.REGISTRY_UNAVAILABLE;
    return new SerdeError(code, `schema registry refused access while ${what} (HTTP ${status}; check its credentials and limits): ${message}`, { cause: error });
  }
  if (status === 404) return new SerdeError(SerdeErrorCode.UNKNOWN_SCHEMA, `schema registry does not know ${what}: ${message}`, { cause: error });
  return new SerdeError(SerdeErrorCode.UNKNOWN_SCHEMA, `schema registry refused ${what} (HTTP ${status}): ${message}`, { cause: error });
}

/** Whether the registry proved healthy, and how; or why it did not. */
type HealthVerdict = { healthy: true; evidence: string } | { healthy: false; doubt: string };

/** Caches a promise per key, and forgets it when it rejects so the next call asks again. */
function memoize<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  const cached = cache.get(key);
  if (cached) return cached;
  const loading = load();
  cache.set(key, loading);
  loading.catch(() => cache.delete(key));
  return loading;
}

/**
 * Avro in the Confluent wire format against a Confluent-compatible registry (Apicurio's ccompat
 * API here). Schema ids and writer schemas are fetched once and cached, so after warm-up encoding
 * and decoding make no registry calls.
 */
export class AvroSerde {
  /** Schema ids this instance has had from the registry: the witnesses of its health. */
  private readonly knownIds = new Set<number>();
  private readonly idsBySubject = new Map<string, Promise<number>>();
  private readonly writerTypes = new Map<number, Promise<avro.Type>>();
  private readonly resolvers = new Map<string, avro.Resolver>();
  /** Registry HTTP calls made by this instance; lets tests and benchmarks see the cache work. */
  registryCalls = 0;
  private readonly timeoutMs: number;

  constructor(
    private readonly registry: SchemaRegistry,
    /**
     * How a 404 for a schema id is checked before the record is called poison (see
     * unknownSchema). Without one, nothing can prove the registry healthy, and an unknown id is
     * always retried.
     */
    private readonly probe?: RegistryProbe,
    options: AvroSerdeOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  }

  static forUrl(url: string, options: AvroSerdeOptions = {}): AvroSerde {
    const timeoutMs = options.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
    // Retries belong to the caller (the consumer pauses and backs off); fail fast here. Each HTTP
    // request gets the whole bound too, so that one abandoned by the deadline (within) does not
    // keep its socket waiting on a registry that never answers.
    const registry = new SchemaRegistry({ host: url, retry: { retries: 1, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 1 }, middlewares: [requestTimeout(timeoutMs)] });
    return new AvroSerde(registry, httpRegistryProbe(url, timeoutMs), { timeoutMs });
  }

  /**
   * The serde of a process, from the stack's registry settings: its Confluent-compatible URL and
   * the bound of each call (EVERGREEN_REGISTRY_TIMEOUT_MS; undefined: DEFAULT_REGISTRY_TIMEOUT_MS).
   */
  static forRegistry(registry: { ccompatUrl: string; timeoutMs?: number | undefined }): AvroSerde {
    return AvroSerde.forUrl(registry.ccompatUrl, { timeoutMs: registry.timeoutMs });
  }

  /**
   * `work` (a lookup with its retries, and the health probe a 404 leads to), bounded: past the
   * serde's timeout it rejects with REGISTRY_TIMEOUT, whatever the registry does, and so does the
   * memoized promise every other caller of the same lookup waits on (which memoize then forgets).
   */
  private within<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SerdeError(SerdeErrorCode.REGISTRY_TIMEOUT, `schema registry did not answer within ${this.timeoutMs} ms while ${what}`)),
        this.timeoutMs,
      );
    });
    // The abandoned lookup ends by itself (its request's own timeout); its outcome is no one's.
    work.catch(() => undefined);
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  /** Registers a schema under its subject (a no-op when that schema is already there) and sets the subject's compatibility. */
  async register(schema: LocalSchema, compatibility: Compatibility = 'BACKWARD'): Promise<number> {
    this.registryCalls += 1;
    try {
      const { id } = await this.within(
        this.registry.register({ type: SchemaType.AVRO, schema: schema.definition }, { subject: schema.subject, compatibility: COMPATIBILITY[compatibility] }),
        `registering ${schema.subject}`,
      );
      this.idsBySubject.set(schema.subject, Promise.resolve(id));
      this.knownIds.add(id);
      return id;
    } catch (error) {
      throw classifyRegistryError(error, `registering ${schema.subject}`);
    }
  }

  /** The id the registry gave this schema under its subject; asked once, then cached. */
  schemaIdOf(schema: LocalSchema): Promise<number> {
    return memoize(this.idsBySubject, schema.subject, async () => {
      this.registryCalls += 1;
      try {
        const what = `looking up the id of ${schema.type.name} under subject ${schema.subject}`;
        const id = await this.within(this.registry.getRegistryIdBySchema(schema.subject, { type: SchemaType.AVRO, schema: schema.definition }), what);
        this.knownIds.add(id);
        return id;
      } catch (error) {
        throw classifyRegistryError(error, `schema ${schema.type.name} under subject ${schema.subject} (run npm run schemas:register)`);
      }
    });
  }

  /** Validates `value` against the schema, naming every bad field, then encodes it in the wire format. */
  async encode(schema: LocalSchema, value: unknown): Promise<Buffer> {
    assertValid(schema.type, value);
    const schemaId = await this.schemaIdOf(schema);
    return frame(schemaId, schema.type.toBuffer(value));
  }

  private writerType(schemaId: number): Promise<avro.Type> {
    return memoize(this.writerTypes, schemaId, () => this.within(this.fetchType(schemaId), `fetching schema id ${schemaId}`));
  }

  private async fetchType(schemaId: number): Promise<avro.Type> {
    this.registryCalls += 1;
    let definition: unknown;
    try {
      definition = await this.registry.getSchema(schemaId);
    } catch (error) {
      const classified = classifyRegistryError(error, `schema id ${schemaId}`);
      if (classified.code === SerdeErrorCode.UNKNOWN_SCHEMA && (error as RegistryResponseError).status === 404) throw await this.unknownSchema(schemaId, classified);
      throw classified;
    }
    this.knownIds.add(schemaId);
    // The library hands back an avsc Type already; keep only its schema so our own avsc parses it.
    const schemaJson = (definition as { schema?: () => unknown }).schema?.() ?? definition;
    return avro.Type.forSchema(schemaJson as avro.Schema);
  }

  /**
   * A 404 for a schema id means poison only from a registry that proves healthy: one that serves a
   * schema id known to exist (one it served this instance before), or, before any, lists subjects.
   * A registry answering 404 for everything (a wrong URL, a proxy, a registry restored empty) would
   * otherwise have every record dead-lettered while the projection silently stops moving; from it,
   * the 404 is transient (REGISTRY_UNHEALTHY, retriable) and the records wait.
   */
  private async unknownSchema(schemaId: number, notFound: SerdeError): Promise<SerdeError> {
    const verdict = await this.registryHealth(schemaId);
    if (verdict.healthy) {
      return new SerdeError(SerdeErrorCode.UNKNOWN_SCHEMA, `${notFound.message} (the registry is healthy: ${verdict.evidence})`, { cause: notFound.cause });
    }
    return new SerdeError(
      SerdeErrorCode.REGISTRY_UNHEALTHY,
      `schema registry unhealthy or misconfigured: it answers 404 for schema id ${schemaId}, and ${verdict.doubt}; retrying rather than dead-lettering (check the registry URL and its storage)`,
      { cause: notFound.cause },
    );
  }

  private async registryHealth(unknownId: number): Promise<HealthVerdict> {
    if (!this.probe) return { healthy: false, doubt: 'there is no way to check its health' };
    const witnesses = [...this.knownIds].filter((id) => id !== unknownId);
    try {
      const witness = witnesses[witnesses.length - 1];
      if (witness !== undefined) {
        if (await this.probe.servesSchema(witness)) return { healthy: true, evidence: `it serves schema id ${witness}` };
        return { healthy: false, doubt: `it no longer serves schema id ${witness}, which it served before` };
      }
      const subjects = await this.probe.subjects();
      if (subjects.length > 0) return { healthy: true, evidence: `it lists ${subjects.length} subject(s)` };
      return { healthy: false, doubt: 'it lists no subjects (empty, or not a schema registry)' };
    } catch (error) {
      return { healthy: false, doubt: `its health could not be checked: ${(error as Error).message}` };
    }
  }

  /** The newest schema registered under a subject, or undefined when the subject has none yet. Never cached: it is what a check compares against. */
  async latestRegistered(subject: string): Promise<{ id: number; type: avro.Type } | undefined> {
    this.registryCalls += 1;
    const what = `the latest version of ${subject}`;
    let id: number;
    try {
      id = await this.within(this.registry.getLatestSchemaId(subject), what);
    } catch (error) {
      if ((error as RegistryResponseError).status === 404) return undefined;
      throw classifyRegistryError(error, what);
    }
    return { id, type: await this.within(this.fetchType(id), `fetching schema id ${id}`) };
  }

  /**
   * Decodes a wire-format message with the writer's own schema only, for a person to read (a dead
   * letter in the operator console): no reader schema, so nothing is resolved or validated.
   */
  async decodeAsWritten(message: Buffer): Promise<DecodedMessage<unknown>> {
    const { schemaId, body } = unframe(message);
    const writer = await this.writerType(schemaId);
    const writerName = writer.name ?? writer.typeName;
    try {
      return { schemaId, writerName, value: writer.fromBuffer(body) as unknown };
    } catch (error) {
      throw new SerdeError(SerdeErrorCode.UNDECODABLE, `bytes are not valid Avro for ${writerName} (schema id ${schemaId}): ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Decodes a wire-format message with the writer's schema (from the registry by id) and resolves
   * it into the reader's schema, so a consumer built against an older schema keeps working.
   */
  async decode<T>(message: Buffer, readers: readonly avro.Type[]): Promise<DecodedMessage<T>> {
    const { schemaId, body } = unframe(message);
    const writer = await this.writerType(schemaId);
    const writerName = writer.name ?? writer.typeName;
    const shortName = writerName.split('.').pop();
    const reader = readers.find((candidate) => candidate.name === writerName) ?? readers.find((candidate) => candidate.name?.split('.').pop() === shortName);
    if (!reader) {
      throw new SerdeError(SerdeErrorCode.INCOMPATIBLE_SCHEMA, `no reader schema for ${writerName} (schema id ${schemaId})`);
    }
    const resolver = this.resolverFor(schemaId, reader, writer);
    try {
      return { schemaId, writerName, value: reader.fromBuffer(body, resolver, false) as T };
    } catch (error) {
      throw new SerdeError(SerdeErrorCode.UNDECODABLE, `bytes are not valid Avro for ${writerName} (schema id ${schemaId}): ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private resolverFor(schemaId: number, reader: avro.Type, writer: avro.Type): avro.Resolver {
    const key = `${schemaId}:${reader.name}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      try {
        resolver = reader.createResolver(writer);
      } catch (error) {
        throw new SerdeError(SerdeErrorCode.INCOMPATIBLE_SCHEMA, `writer schema id ${schemaId} cannot be read as ${reader.name}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }
}
