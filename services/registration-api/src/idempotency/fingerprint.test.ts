import { describe, expect, it } from 'vitest';
import { canonicalJson, isIdempotencyKey, requestFingerprint, type FingerprintedRequest } from './fingerprint.ts';

describe('isIdempotencyKey', () => {
  const everyVisible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

  it.each([
    ['a UUID', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['one character', 'x'],
    ['255 characters', 'k'.repeat(255)],
    ['every visible ASCII character', everyVisible],
    ['a quoted structured-field string, taken as it is', '"8e03978e"'],
  ])('accepts %s', (_label, key) => {
    expect(isIdempotencyKey(key)).toBe(true);
  });

  it.each([
    ['an empty value', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'two words'],
    ['a tab', 'tab\there'],
    ['a control character', 'bell\u0007'],
    ['DEL', 'del\u007f'],
    ['a non-ASCII letter', 'café'],
    ['an emoji', 'key-🔑'],
  ])('refuses %s', (_label, key) => {
    expect(isIdempotencyKey(key)).toBe(false);
  });

  it('refuses what is not a string (an absent header, repeated headers)', () => {
    expect(isIdempotencyKey(undefined)).toBe(false);
    expect(isIdempotencyKey(['a', 'b'])).toBe(false);
  });
});

describe('canonicalJson', () => {
  it('sorts the keys of every object, at every depth, without white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}');
  });

  it('leaves out undefined properties, as JSON does, and writes no body as null', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('keeps the types apart: "3" is not 3, null is not "null"', () => {
    expect(canonicalJson({ v: '3' })).not.toBe(canonicalJson({ v: 3 }));
    expect(canonicalJson({ v: null })).not.toBe(canonicalJson({ v: 'null' }));
  });

  it('escapes strings, so no value can imitate the structure around it', () => {
    expect(canonicalJson({ a: '","b":"' })).toBe('{"a":"\\",\\"b\\":\\""}');
  });
});

describe('requestFingerprint', () => {
  const base: FingerprintedRequest = { method: 'PATCH', path: '/users/7c9e6679-7425-40de-944b-e07fc1f90ae7', body: { name: 'Ada', avatarUrl: null }, ifMatch: '"3"' };

  it('is a sha256 in hex, the same for the same request', () => {
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ ...base })).toBe(requestFingerprint(base));
  });

  it('does not depend on the order of the body keys, the case of the method or how the If-Match version is written', () => {
    const same = requestFingerprint(base);
    expect(requestFingerprint({ ...base, body: { avatarUrl: null, name: 'Ada' } })).toBe(same);
    expect(requestFingerprint({ ...base, method: 'patch' })).toBe(same);
    expect(requestFingerprint({ ...base, ifMatch: '3' })).toBe(same);
    expect(requestFingerprint({ ...base, ifMatch: ' "3" ' })).toBe(same);
    expect(requestFingerprint({ ...base, ifMatch: '"3",' })).toBe(same);
  });

  it.each([
    ['the method', { method: 'DELETE' }],
    ['the path', { path: '/users/00000000-0000-4000-8000-000000000000' }],
    ['a body value', { body: { name: 'Ada!', avatarUrl: null } }],
    ['a body field more', { body: { name: 'Ada', avatarUrl: null, extra: 1 } }],
    ['null vs absent', { body: { name: 'Ada' } }],
    ['the If-Match version', { ifMatch: '"4"' }],
    ['no If-Match', { ifMatch: undefined }],
    ['an If-Match that is no version', { ifMatch: '*' }],
    // Strong comparison: "03" is another entity tag than "3", and so another request.
    ['another spelling of the version', { ifMatch: '"03"' }],
    ['the weak form of the version', { ifMatch: 'W/"3"' }],
  ] satisfies Array<[string, Partial<FingerprintedRequest>]>)('changes with %s', (_label, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });

  it('tells no body from an empty one', () => {
    expect(requestFingerprint({ ...base, method: 'DELETE', body: undefined })).not.toBe(requestFingerprint({ ...base, method: 'DELETE', body: {} }));
  });
});
