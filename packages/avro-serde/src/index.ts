export { AvroSerde } from './avro-serde.ts';
export type { LocalSchema, DecodedMessage, Compatibility } from './avro-serde.ts';
export { SerdeError, SerdeErrorCode, InvalidValueError } from './errors.ts';
export { assertValid } from './validate.ts';
export { frame, unframe, WIRE_HEADER_LENGTH } from './wire-format.ts';
