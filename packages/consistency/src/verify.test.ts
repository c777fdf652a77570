import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ProjectedState, SourceState } from './drift.ts';
import { driftTotal, verify, type Projection, type Source } from './verify.ts';

/** A source held in memory; `batch` sizes its stream. */
function memorySource(states: SourceState[], batch = 2): Source & { states: Map<string, SourceState> } {
  const map = new Map(states.map((state) => [state.id, state]));
  return {
    states: map,
    async *stream() {
      const all = [...map.values()];
      for (let start = 0; start < all.length; start += batch) yield all.slice(start, start + batch);
    },
    async read(ids) {
      return new Map(ids.flatMap((id) => (map.has(id) ? [[id, map.get(id) as SourceState] as const] : [])));
    },
    async known(ids) {
      return new Set(ids.filter((id) => map.has(id)));
    },
  };
}

function memoryProjection(name: string, entries: Record<string, ProjectedState>): Projection & { entries: Map<string, ProjectedState> } {
  const map = new Map(Object.entries(entries));
  return {
    name,
    entries: map,
    async read(ids) {
      return new Map(ids.flatMap((id) => (map.has(id) ? [[id, map.get(id) as ProjectedState] as const] : [])));
    },
    async *scan() {
      yield [...map.keys()];
    },
  };
}

const live = (id: string, version: number): SourceState => ({ id, version, deleted: false, fingerprint: `${id}@${version}` });
const entry = (id: string, version: number): ProjectedState => ({ version, deleted: false, fingerprint: `${id}@${version}` });

describe('verify', () => {
  it('counts every kind of drift per read model and names the drifted ids', async () => {
    const source = memorySource([live('ok', 2), live('missing', 1), live('stale', 5), live('corrupt', 3), { id: 'gone', version: 4, deleted: true }, { id: 'forgotten', version: 2, deleted: true }]);
    const cache = memoryProjection('cache', {
      ok: entry('ok', 2),
      stale: entry('stale', 4),
      corrupt: { version: 3, deleted: false, fingerprint: 'other' },
      gone: entry('gone', 3),
      orphan: entry('orphan', 1),
      forgotten: { version: 2, deleted: true },
    });
    const clean = memoryProjection('log', { ok: { version: 2, deleted: false }, missing: { version: 1, deleted: false }, stale: { version: 5, deleted: false }, corrupt: { version: 3, deleted: false }, gone: { version: 4, deleted: true } });

    const [cacheReport, logReport] = await verify(source, [cache, clean], { graceMs: 0 });

    expect(cacheReport?.counts).toEqual({ missing: 1, stale: 1, mismatch: 1, orphan: 1, resurrected: 1 });
    expect(cacheReport?.drifted.map((drift) => `${drift.kind}:${drift.id}`).sort()).toEqual(['mismatch:corrupt', 'missing:missing', 'orphan:orphan', 'resurrected:gone', 'stale:stale']);
    expect(cacheReport?.checked).toBe(7);
    expect(logReport && driftTotal(logReport)).toBe(0);
  });

  it('does not count a difference the read model made good during the grace period', async () => {
    const source = memorySource([live('a', 1), live('b', 2)]);
    const cache = memoryProjection('cache', { b: entry('b', 1) });
    const waits: number[] = [];

    const [report] = await verify(source, [cache], {
      graceMs: 1_500,
      wait: async (ms) => {
        waits.push(ms);
        // The events in flight arrive.
        cache.entries.set('a', entry('a', 1));
        cache.entries.set('b', entry('b', 2));
      },
    });

    expect(waits).toEqual([1_500]);
    expect(report && driftTotal(report)).toBe(0);
  });

  it('does not call an entry stale when it reached the version first seen and the source moved on since', async () => {
    const source = memorySource([live('a', 2)]);
    const cache = memoryProjection('cache', { a: entry('a', 1) });

    const [report] = await verify(source, [cache], {
      graceMs: 10,
      wait: async () => {
        cache.entries.set('a', entry('a', 2));
        source.states.set('a', live('a', 3));
      },
    });

    expect(report && driftTotal(report)).toBe(0);
  });

  it('still counts an entry that stayed behind the version first seen', async () => {
    const source = memorySource([live('a', 2)]);
    const cache = memoryProjection('cache', { a: entry('a', 1) });

    const [report] = await verify(source, [cache], { graceMs: 10, wait: async () => undefined });

    expect(report?.counts.stale).toBe(1);
  });

  it('does not wait when nothing differed', async () => {
    const source = memorySource([live('a', 1)]);
    let waited = false;

    await verify(source, [memoryProjection('cache', { a: entry('a', 1) })], { graceMs: 60_000, wait: async () => { waited = true; } });

    expect(waited).toBe(false);
  });

  it('an orphan candidate registered in the source during the check is not an orphan', async () => {
    const source = memorySource([]);
    const cache = memoryProjection('cache', { late: entry('late', 1) });

    const [report] = await verify(source, [cache], { graceMs: 10, wait: async () => void source.states.set('late', live('late', 1)) });

    expect(report && driftTotal(report)).toBe(0);
  });

  it('an entry the source no longer knows (its deletion record was pruned) is an orphan, not resurrected', async () => {
    const [report] = await verify(memorySource([]), [memoryProjection('cache', { forgotten: entry('forgotten', 3) })], { graceMs: 0 });

    expect(report?.counts).toMatchObject({ orphan: 1, resurrected: 0 });
  });
});

// A verify of N users whose read model agrees, generated on the fly, so that the test itself holds
// nothing that grows with N; the heap is sampled after a full collection at every batch.
describe('verify at scale', () => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const BATCH = 5_000;
  const idOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const numberOf = (id: string) => Number(id.slice(-12));
  const stateOf = (n: number): SourceState => live(idOf(n), 1 + (n % 7));

  async function peakHeapGrowth(users: number): Promise<number> {
    const samples: number[] = [];
    const sample = () => {
      collect();
      samples.push(process.memoryUsage().heapUsed);
    };
    const inRange = (ids: readonly string[]) => ids.map(numberOf).filter((n) => n < users);
    const source: Source = {
      async *stream() {
        for (let start = 0; start < users; start += BATCH) {
          yield Array.from({ length: Math.min(BATCH, users - start) }, (_, index) => stateOf(start + index));
          sample();
        }
      },
      async read(ids) {
        return new Map(inRange(ids).map((n) => [idOf(n), stateOf(n)]));
      },
      async known(ids) {
        return new Set(inRange(ids).map(idOf));
      },
    };
    const projection: Projection = {
      name: 'generated',
      async read(ids) {
        return new Map(inRange(ids).map((n): [string, ProjectedState] => [idOf(n), entry(idOf(n), 1 + (n % 7))]));
      },
      async *scan() {
        for (let start = 0; start < users; start += BATCH) {
          yield Array.from({ length: Math.min(BATCH, users - start) }, (_, index) => idOf(start + index));
          sample();
        }
      },
    };
    sample();
    const baseline = samples[0] as number;
    const [report] = await verify(source, [projection], { graceMs: 0 });
    expect(report?.checked).toBe(users);
    expect(report && driftTotal(report)).toBe(0);
    return Math.max(...samples) - baseline;
  }

  it('holds no side whole: ten times the users, not more memory', async () => {
    const small = await peakHeapGrowth(20_000);
    const large = await peakHeapGrowth(200_000);

    // Holding 200,000 ids (a Set of the source's, as verify once did) takes about 15 MiB more than 20,000.
    expect(large - small).toBeLessThan(4 * 1024 * 1024);
  }, 60_000);
});
