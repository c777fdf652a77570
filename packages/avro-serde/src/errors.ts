/** Every way encoding or decoding can fail, as a closed list. */
export const SerdeErrorCode = {
  /** The value does not match the schema (encode side). */
  INVALID_VALUE: 'INVALID_VALUE',
  /** The first byte is not the Confluent wire format's magic byte 0. */
  BAD_MAGIC_BYTE: 'BAD_MAGIC_BYTE',
  /** Shorter than the 5-byte wire header. */
  TRUNCATED: 'TRUNCATED',
  /** The registry does not know the schema id (or the subject has no such schema). */
  UNKNOWN_SCHEMA: 'UNKNOWN_SCHEMA',
  /** The bytes are not valid Avro for the writer's schema. */
  UNDECODABLE: 'UNDECODABLE',
  /** The writer's schema cannot be resolved into the reader's. */
  INCOMPATIBLE_SCHEMA: 'INCOMPATIBLE_SCHEMA',
  /** The registry could not be reached or answered 5xx: worth retrying. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /**
   * The registry answers, but does not prove healthy: it says it does not know a schema id, and it
   * does not serve a schema known to exist either (a wrong URL, a proxy, a registry restored
   * empty). Retried, never dead-lettered: otherwise every record would be.
   */
  REGISTRY_UNHEALTHY: 'REGISTRY_UNHEALTHY',
} as const;
export type SerdeErrorCode = (typeof SerdeErrorCode)[keyof typeof SerdeErrorCode];

export class SerdeError extends Error {
  constructor(
    readonly code: SerdeErrorCode,
    message: string,
    /** True only when the same call may succeed later (the registry was away); never for bad data. */
    readonly retriable: boolean = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SerdeError';
  }
}

/** Field-level problems of one value, each with the path of the offending field. */
export class InvalidValueError extends SerdeError {
  constructor(
    readonly schemaName: string,
    readonly fieldErrors: Array<{ path: string; message: string }>,
  ) {
    super(
      SerdeErrorCode.INVALID_VALUE,
      `value does not match schema ${schemaName}: ${fieldErrors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
    );
    this.name = 'InvalidValueError';
  }
}
