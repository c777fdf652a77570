import { compressFrame, decompressFrame } from 'lz4-napi';

/**
 * LZ4 for kafkajs, which ships only gzip. Kafka's LZ4 is the standard LZ4 frame format (since
 * message format v1), so frames made here are read by Java clients and the broker, and frames made
 * by the relay's Java producer are read here. lz4-napi is a prebuilt native module from the npm
 * registry: nothing is compiled at install time.
 */
export const lz4Codec = {
  compress: (encoder: { buffer: Buffer }): Promise<Buffer> => compressFrame(encoder.buffer),
  decompress: (buffer: Buffer): Promise<Buffer> => decompressFrame(buffer),
};
