import { describe, expect, it } from 'vitest';
import { compressFrameSync } from 'lz4-napi';
import { lz4Codec } from './lz4-codec.ts';

describe('lz4Codec', () => {
  it('round-trips a batch and compresses repetitive records', async () => {
    const records = Buffer.from('{"email":"ada@example.com","name":"Ada"}'.repeat(200));
    const compressed = await lz4Codec.compress({ buffer: records });
    expect(compressed.length).toBeLessThan(records.length / 10);
    expect(await lz4Codec.decompress(compressed)).toEqual(records);
  });

  it('writes the LZ4 frame format Kafka uses (magic 0x184D2204), so Java clients read it', async () => {
    const compressed = await lz4Codec.compress({ buffer: Buffer.from('x'.repeat(1_000)) });
    expect(compressed.readUInt32LE(0)).toBe(0x184d2204);
  });

  it('reads frames written by another LZ4 frame encoder', async () => {
    const payload = Buffer.from('the relay compresses with Java; any frame encoder must do');
    expect(await lz4Codec.decompress(compressFrameSync(payload))).toEqual(payload);
  });
});
