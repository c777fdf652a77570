import { EvergreenError, ErrorCode } from '@evergreen/errors';

/**
 * Every way encoding or decoding can fail: the codes of Evergreen's taxonomy (@evergreen/errors)
 * that the serde throws, under the names it has always used. Whether one is retried follows from
 * its code: bad data is permanent, a registry away, slow or misconfigured is transient.
 */
export const SerdeErrorCode = {
  /** The value does not match the schema (encode side). */
  INVALID_VALUE: ErrorCode.INVALID_VALUE,
  /** The first byte is not the Confluent wire format's magic byte 0. */
  BAD_MAGIC_BYTE: ErrorCode.BAD_MAGIC_BYTE,
  /** Shorter than the 5-byte wire header. */
  TRUNCATED: ErrorCode.TRUNCATED,
  /** The registry does not know the schema id (or the subject has no such schema). */
  UNKNOWN_SCHEMA: ErrorCode.UNKNOWN_SCHEMA,
  /** The bytes are not valid Avro for the writer's schema. */
  UNDECODABLE: ErrorCode.UNDECODABLE,
  /** The writer's schema cannot be resolved into the reader's. */
  INCOMPATIBLE_SCHEMA: ErrorCode.INCOMPATIBLE_SCHEMA,
  /** The registry could not be reached, answered 5xx or refused to serve now: worth retrying. */
  REGISTRY_UNAVAILABLE: ErrorCode.DEPENDENCY_UNAVAILABLE,
  /** The registry did not answer within the serde's bound. */
  REGISTRY_TIMEOUT: ErrorCode.TIMEOUT,
  /**
   * The registry answers, but does not prove healthy: it says it does not know a schema id, and it
   * does not serve a schema known to exist either (a wrong URL, a proxy, a registry restored
   * empty), or it refuses our credentials. Retried, never dead-lettered: otherwise every record would be.
   */
  REGISTRY_UNHEALTHY: ErrorCode.MISCONFIGURED,
} as const;
export type SerdeErrorCode = (typeof SerdeErrorCode)[keyof typeof SerdeErrorCode];

export class SerdeError extends EvergreenError {
  declare readonly code: SerdeErrorCode;

  constructor(code: SerdeErrorCode, message: string, options?: { cause?: unknown }) {
    const transient = code === SerdeErrorCode.REGISTRY_UNAVAILABLE || code === SerdeErrorCode.REGISTRY_TIMEOUT || code === SerdeErrorCode.REGISTRY_UNHEALTHY;
    super(code, message, { cause: options?.cause, dependency: transient ? 'registry' : undefined });
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
