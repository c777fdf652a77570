import { SerdeError, SerdeErrorCode } from './errors.ts';

// Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian int, then the Avro body.
const MAGIC_BYTE = 0;
export const WIRE_HEADER_LENGTH = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(WIRE_HEADER_LENGTH);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

export function unframe(message: Buffer): { schemaId: number; body: Buffer } {
  if (message.length < WIRE_HEADER_LENGTH) {
    throw new SerdeError(SerdeErrorCode.TRUNCATED, `message has ${message.length} bytes, fewer than the 5-byte wire header`);
  }
  const magic = message.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new SerdeError(SerdeErrorCode.BAD_MAGIC_BYTE, `message starts with byte ${magic}, not the Confluent wire format's magic byte 0`);
  }
  return { schemaId: message.readInt32BE(1), body: message.subarray(WIRE_HEADER_LENGTH) };
}
