import { describe, expect, it } from 'vitest';
import { applyIsolating } from './isolate.ts';
import { PoisonRecordError } from './poison.ts';
import type { StepResult } from './retry-policy.ts';

/** A store that refuses every batch holding one of `bad`, and records each batch it was given. */
function storeRefusing(bad: ReadonlySet<number>) {
  const attempts: number[][] = [];
  const written: number[] = [];
  const attempt = async (items: readonly number[]): Promise<StepResult<string[]>> => {
    attempts.push([...items]);
    const culprit = items.find((item) => bad.has(item));
    if (culprit !== undefined) return { ok: false, error: new PoisonRecordError('STORE_REJECTED', `item ${culprit} refused`) };
    written.push(...items);
    return { ok: true, value: items.map(() => 'applied') };
  };
  return { attempt, attempts, written };
}

const range = (count: number) => Array.from({ length: count }, (_, index) => index);

describe('applyIsolating', () => {
  it('writes a batch in one attempt when nothing is refused', async () => {
    const { attempt, attempts } = storeRefusing(new Set());

    expect(await applyIsolating(range(8), attempt)).toEqual(range(8).map(() => 'applied'));
    expect(attempts).toHaveLength(1);
  });

  it('finds the one refused item among a thousand in about twenty attempts, writes the others in order, and answers each in its place', async () => {
    const { attempt, attempts, written } = storeRefusing(new Set([637]));

    const results = await applyIsolating(range(1_000), attempt);

    expect(results).toHaveLength(1_000);
    expect(results[637]).toBeInstanceOf(PoisonRecordError);
    expect(results.filter((result) => result === 'applied')).toHaveLength(999);
    expect(written).toEqual(range(1_000).filter((item) => item !== 637));
    expect(attempts.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1_000)) + 1);
  });

  it('isolates several refused items, each with its own reason', async () => {
    const bad = new Set([0, 5, 6, 99]);
    const { attempt, written } = storeRefusing(bad);

    const results = await applyIsolating(range(100), attempt);

    expect(results.flatMap((result, index) => (result instanceof PoisonRecordError ? [[index, result.message]] : []))).toEqual([...bad].map((item) => [item, `item ${item} refused`]));
    expect(written).toEqual(range(100).filter((item) => !bad.has(item)));
  });

  it('gives up only the first item when the operator parked it, without halving', async () => {
    const attempts: number[][] = [];
    let parked = true;
    const attempt = async (items: readonly number[]): Promise<StepResult<string[]>> => {
      attempts.push([...items]);
      if (parked) {
        parked = false;
        return { ok: false, error: new PoisonRecordError('PARKED', 'parked by operator') };
      }
      return { ok: true, value: items.map(() => 'applied') };
    };

    const results = await applyIsolating(range(10), attempt);

    expect((results[0] as PoisonRecordError).code).toBe('PARKED');
    expect(results.slice(1)).toEqual(range(9).map(() => 'applied'));
    expect(attempts).toEqual([range(10), range(10).slice(1)]);
  });

  it('asks nothing of the store for no items', async () => {
    const { attempt, attempts } = storeRefusing(new Set());
    expect(await applyIsolating([], attempt)).toEqual([]);
    expect(attempts).toEqual([]);
  });
});
