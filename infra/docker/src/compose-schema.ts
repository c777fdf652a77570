import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

/**
 * The Compose Specification's JSON schema, as the dclint package ships it (schemas/, MIT; the
 * schema itself is the compose-spec project's). Read from the package rather than copied into this
 * repository, so updating the schema is updating a devDependency.
 */
const SCHEMA_PATH = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');

// The schema names draft-07 by its https address, which Ajv knows only under http.
const DRAFT_07_HTTPS = 'https://json-schema.org/draft-07/schema';

let validator: ValidateFunction | undefined;

function readJson(path: string): object {
  return JSON.parse(readFileSync(path, 'utf8')) as object;
}

function composeValidator(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv({
    allErrors: true,
    // The schema writes `type: [string, number]`-style unions throughout; that is its style, not a mistake.
    strictTypes: false,
  });
  ajv.addMetaSchema({ ...readJson(require.resolve('ajv/dist/refs/json-schema-draft-07.json')), $id: DRAFT_07_HTTPS });
  validator = ajv.compile(readJson(SCHEMA_PATH));
  return validator;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath;
  const detail = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
  return `${where} ${error.message ?? error.keyword}${detail}`;
}

/** Where a compose document (after interpolation) breaks the Compose Specification; empty when it does not. */
export function composeSchemaProblems(document: unknown): string[] {
  const validate = composeValidator();
  if (validate(document)) return [];
  return [...new Set((validate.errors ?? []).map(describe))];
}
