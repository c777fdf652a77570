import { describe, expect, it } from 'vitest';
import { classify, type ProjectedState, type SourceState } from './drift.ts';

const live = (version: number, fingerprint = 'ada'): SourceState => ({ id: 'u', version, deleted: false, fingerprint });
const deleted = (version: number): SourceState => ({ id: 'u', version, deleted: true });
const entry = (version: number, fingerprint?: string): ProjectedState => ({ version, deleted: false, ...(fingerprint === undefined ? {} : { fingerprint }) });
const marker = (version: number): ProjectedState => ({ version, deleted: true });

describe('classify', () => {
  it('agrees when the read model holds the live version with the same content, or keeps no content', () => {
    expect(classify(live(3), entry(3, 'ada'))).toBeUndefined();
    expect(classify(live(3), entry(3))).toBeUndefined();
  });

  it('missing: live in the source, nothing in the read model', () => {
    expect(classify(live(1), undefined)).toBe('missing');
  });

  it('stale: an older version, live or a deletion marker', () => {
    expect(classify(live(5), entry(4, 'ada'))).toBe('stale');
    expect(classify(live(5), marker(2))).toBe('stale');
  });

  it('mismatch: the same version with other content, a newer version, or a deletion the source never made', () => {
    expect(classify(live(3), entry(3, 'eve'))).toBe('mismatch');
    expect(classify(live(3), entry(4, 'ada'))).toBe('mismatch');
    expect(classify(live(3), marker(4))).toBe('mismatch');
  });

  it('resurrected: deleted in the source, live in the read model at any version', () => {
    expect(classify(deleted(4), entry(3, 'ada'))).toBe('resurrected');
    expect(classify(deleted(4), entry(9))).toBe('resurrected');
  });

  it('a deleted aggregate may be a marker or nothing at all (the marker expires)', () => {
    expect(classify(deleted(4), marker(4))).toBeUndefined();
    expect(classify(deleted(4), undefined)).toBeUndefined();
  });

  it('orphan: live in the read model, never in the source; a lone marker is harmless', () => {
    expect(classify(undefined, entry(1, 'x'))).toBe('orphan');
    expect(classify(undefined, marker(2))).toBeUndefined();
    expect(classify(undefined, undefined)).toBeUndefined();
  });
});
