import fc from 'fast-check';
import type { Schema } from './openapi.ts';
import { isValid } from './validation.ts';

/**
 * Values for a schema, as fast-check arbitraries: `validValue` what the schema accepts (the whole
 * of it: every string its format or pattern lets through, including the odd spellings a client
 * may send), `invalidValue` what it should refuse, one fault at a time.
 */

/** How an id the API handed out can be written back to it; which ones a parameter takes depends on its schema. */
export type Spelling = 'as-given' | 'upper-case' | 'urn' | 'braces' | 'no-hyphens';

const SPELLINGS: Record<Spelling, (uuid: string) => string> = {
  'as-given': (uuid) => uuid,
  'upper-case': (uuid) => uuid.toUpperCase(),
  urn: (uuid) => `urn:uuid:${uuid}`,
  braces: (uuid) => `{${uuid}}`,
  'no-hyphens': (uuid) => uuid.replaceAll('-', ''),
};

export const spell = (uuid: string, spelling: Spelling): string => SPELLINGS[spelling](uuid);

/**
 * A value decided only when the request is sent: one of the values the API handed out so far
 * under `pool` (the ids of `/users`, say), picked at `pick` ∈ [0, 1), in one of the spellings
 * the schema accepts. `fallback` when the pool is still empty.
 */
export class KnownValue {
  constructor(
    readonly pool: string,
    readonly pick: number,
    readonly spelling: Spelling,
    readonly fallback: string,
  ) {}
}

/** Where values the API hands out can be picked from, by the name of the field or parameter they go in. */
export interface ValueContext {
  /** The pool a string field or parameter of this name draws from, if any (`id` of /users/{id} → 'users'). */
  poolFor(name: string): string | undefined;
}

const SAMPLE_UUID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';

/** The spellings of a UUID the schema accepts: what a client may send in its place. */
export function acceptedSpellings(schema: Schema): Spelling[] {
  return (Object.keys(SPELLINGS) as Spelling[]).filter((spelling) => isValid(schema, spell(SAMPLE_UUID, spelling)));
}

// Characters that have broken text handling somewhere: NUL, other controls, lone surrogates
// (invalid Unicode that JSON still carries as \ud800), bidirectional overrides, zero-width and
// byte-order marks, combining marks, characters beyond the BMP, quotes and escapes.
const AWKWARD_CHARACTERS = ['\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\ud800', '\udbff', '\udc00', '\udfff', '\u202e', '\u2066', '\u200b', '\ufeff', '\u0301', '\u3164', '\uffff', '😀', '𝔘', 'ß', '"', "'", '\\', '%', '/', '\n', '\t', ' '];

/** One character of any kind: mostly printable ASCII, often awkward, sometimes any code point at all (lone surrogates included). */
const anyCharacter: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) },
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD_CHARACTERS) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code)) },
);

/** Text of any characters, from `minLength` to `maxLength` of them (code points, as JSON Schema counts). */
export function anyText(minLength = 0, maxLength = 40): fc.Arbitrary<string> {
  return fc.string({ unit: anyCharacter, minLength, maxLength: Math.max(minLength, maxLength) });
}

/** Plain text: what the generators fall back to when a pattern cannot be generated from. */
const plainText = (minLength: number, maxLength: number) => fc.string({ unit: 'grapheme-ascii', minLength, maxLength: Math.max(minLength, maxLength) });

/** A UUID in any spelling the `uuid` format of ajv-formats takes: either case, with or without `urn:uuid:`. */
const uuidFormatted = fc.tuple(fc.uuid(), fc.constantFrom<Spelling>('as-given', 'as-given', 'upper-case', 'urn')).map(([uuid, spelling]) => spell(uuid, spelling));

/** Candidates for a string schema, before the schema filters them: from its pattern, its format, and plain text. */
function stringCandidates(schema: Schema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 60, minLength + 60);
  const candidates: fc.Arbitrary<string>[] = [];
  if (schema.pattern !== undefined) {
    try {
      candidates.push(fc.stringMatching(new RegExp(schema.pattern, 'u')));
    } catch {
      // fast-check cannot generate from every pattern (lookaheads); the text below is filtered by it instead.
    }
  }
  if (schema.format === 'uuid') candidates.push(uuidFormatted, fc.uuid());
  if (schema.format === 'email') candidates.push(fc.emailAddress());
  if (schema.format === 'uri') candidates.push(fc.webUrl({ validSchemes: ['https'] }), fc.webUrl());
  if (schema.format === 'date-time') candidates.push(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()));
  if (candidates.length === 0 || schema.pattern !== undefined) candidates.push(anyText(minLength, maxLength), plainText(Math.max(1, minLength), maxLength));
  return fc.oneof(...candidates);
}

const isObjectSchema = (schema: Schema) => schema.type === 'object' || schema.properties !== undefined;
const typeOf = (schema: Schema): string | undefined => (Array.isArray(schema.type) ? schema.type.find((type) => type !== 'null') : schema.type);

/** Values the schema accepts: generated from its structure, each string checked against its own schema. */
export function validValue(schema: Schema, context: ValueContext, name = ''): fc.Arbitrary<unknown> {
  const base = validNonNull(schema, context, name);
  const nullable = schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes('null'));
  return nullable ? fc.option(base, { nil: null, freq: 4 }) : base;
}

function validNonNull(schema: Schema, context: ValueContext, name: string): fc.Arbitrary<unknown> {
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  if (isObjectSchema(schema)) return validObject(schema, context);
  switch (typeOf(schema)) {
    case 'array':
      return fc.array(validValue(schema.items ?? {}, context, name), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 8, (schema.minItems ?? 0) + 8) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'string':
      return validString(schema, context, name);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(schema: Schema, context: ValueContext, name: string): fc.Arbitrary<string | KnownValue> {
  const generated = stringCandidates(schema).filter((text) => isValid(schema, text));
  const pool = context.poolFor(name);
  const spellings = pool === undefined ? [] : acceptedSpellings(schema);
  if (pool === undefined || spellings.length === 0) return generated;
  // Mostly an id the API handed out (so requests reach past "not found"), in a spelling it takes.
  const known = fc
    // Unbiased: fast-check's bias towards small numbers would pick the pool's first few values over and over.
    .tuple(fc.noBias(fc.integer({ min: 0, max: 999_999 })), fc.constantFrom(...spellings), fc.uuid())
    .map(([pick, spelling, fallback]) => new KnownValue(pool, pick / 1_000_000, spelling, fallback));
  return fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: generated });
}

function validObject(schema: Schema, context: ValueContext): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const fields = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, validValue(property, context, name)]));
  const object = fc.record(fields, { requiredKeys: (schema.required ?? []).filter((name) => name in properties) });
  const minProperties = schema.minProperties ?? 0;
  return minProperties > 0 ? object.filter((value) => Object.keys(value).length >= minProperties) : object;
}

/** Strings that look like ids but are not the 36 characters PostgreSQL reads, or not ids at all. */
const almostUuids = fc.oneof(
  fc.uuid().map((uuid) => `urn:uuid:${uuid}`),
  fc.uuid().map((uuid) => `{${uuid}}`),
  fc.uuid().map((uuid) => uuid.replaceAll('-', '')),
  fc.uuid().map((uuid) => `${uuid} `),
  fc.uuid().map((uuid) => `${uuid}\n`),
  fc.uuid().map((uuid) => uuid.slice(0, 35)),
  fc.uuid().map((uuid) => `${uuid}0`),
  fc.uuid().map((uuid) => uuid.replace(/^./, 'g')),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0', '-1', 'null', 'undefined', 'NaN', '1e309', 'x'.repeat(36)),
);

/** Any JSON value at all, of any type: the wrong type for most places it goes. */
const anyJson = fc.oneof(fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), '', '3', 'x', [], {}, [null], { '': null }), fc.jsonValue({ maxDepth: 2 }));

/** Values the schema should refuse: the wrong type, out of its bounds, against its pattern or format, or awkward text. */
export function invalidValue(schema: Schema, context: ValueContext): fc.Arbitrary<unknown> {
  const faults: fc.Arbitrary<unknown>[] = [anyJson];
  if (isObjectSchema(schema)) faults.push(...invalidObjects(schema, context));
  switch (typeOf(schema)) {
    case 'array': {
      const item = validValue(schema.items ?? {}, context);
      if ((schema.minItems ?? 0) > 0) faults.push(fc.constant([]));
      if (schema.maxItems !== undefined) faults.push(fc.array(item, { minLength: schema.maxItems + 1, maxLength: schema.maxItems + 3 }));
      faults.push(fc.tuple(fc.array(item, { minLength: 0, maxLength: 3 }), invalidValue(schema.items ?? {}, context)).map(([items, bad]) => [...items, bad]));
      break;
    }
    case 'integer':
    case 'number':
      faults.push(
        fc.constantFrom<unknown>(0.5, -0.5, 1e21, -1e21, 2 ** 53 + 2, Number.MAX_VALUE, '1', '0x10'),
        ...(schema.minimum === undefined ? [] : [fc.integer({ min: schema.minimum - 1000, max: schema.minimum - 1 })]),
        ...(schema.maximum === undefined ? [] : [fc.integer({ min: schema.maximum + 1, max: schema.maximum + 1000 })]),
      );
      break;
    case 'string': {
      faults.push(anyText(0, 80), almostUuids);
      if (schema.maxLength !== undefined) faults.push(anyText(schema.maxLength + 1, schema.maxLength + 40), fc.constant('x'.repeat(schema.maxLength + 1)));
      if ((schema.minLength ?? 0) > 0) faults.push(fc.constantFrom('', ' ', '\u200b'));
      break;
    }
    default:
      break;
  }
  return fc.oneof(...faults);
}

function invalidObjects(schema: Schema, context: ValueContext): fc.Arbitrary<unknown>[] {
  const valid = validObject(schema, context);
  const properties = Object.entries(schema.properties ?? {});
  const required = (schema.required ?? []).filter((name) => schema.properties?.[name] !== undefined);
  const faults: fc.Arbitrary<unknown>[] = [
    // A field no schema names, prototype-polluting names among them.
    fc
      .tuple(valid, fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'version', 'status', 'isAdmin', ''), fc.string({ maxLength: 12 })), anyJson)
      .filter(([, name]) => schema.properties?.[name] === undefined)
      .map(([object, name, value]) => ({ ...object, [name]: value })),
  ];
  if (required.length > 0) faults.push(fc.tuple(valid, fc.constantFrom(...required)).map(([object, name]) => Object.fromEntries(Object.entries(object).filter(([key]) => key !== name))));
  if (properties.length > 0) {
    faults.push(fc.oneof(...properties.map(([name, property]) => fc.tuple(valid, invalidValue(property, context)).map(([object, bad]) => ({ ...object, [name]: bad })))));
  }
  if ((schema.minProperties ?? 0) > 0) faults.push(fc.constant({}));
  return faults;
}
