export { AvroSerde, DEFAULT_REGISTRY_TIMEOUT_MS } from './avro-serde.ts';
export type { AvroSerdeOptions, LocalSchema, DecodedMessage, Compatibility } from './avro-serde.ts';
export { httpRegistryProbe } from './registry-probe.ts';
export type { RegistryProbe } from './registry-probe.ts';
export { SerdeError, SerdeErrorCode, InvalidValueError } from './errors.ts';
export { assertValid } from './validate.ts';
export { frame, unframe, WIRE_HEADER_LENGTH } from './wire-format.ts';
