import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Schema } from './openapi.ts';

// One ajv for the fuzzer, configured as Fastify's: the same formats (ajv-formats), patterns with
// the `u` flag, every error. OpenAPI's `nullable` and its descriptive keywords are understood.
const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true });
addFormats.default(ajv);

const compiled = new WeakMap<Schema, ValidateFunction>();

function validatorOf(schema: Schema): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

export function isValid(schema: Schema, value: unknown): boolean {
  return validatorOf(schema)(value);
}

/** Why the value breaks the schema, in ajv's words; undefined when it does not. */
export function schemaErrors(schema: Schema, value: unknown): string | undefined {
  const validate = validatorOf(schema);
  if (validate(value)) return undefined;
  return ajv.errorsText(validate.errors, { dataVar: 'body' });
}
