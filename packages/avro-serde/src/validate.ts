import type avro from 'avsc';
import { InvalidValueError } from './errors.ts';

/** Checks a value against an Avro type and throws naming every offending field path. */
export function assertValid(type: avro.Type, value: unknown): void {
  const fieldErrors: Array<{ path: string; message: string }> = [];
  type.isValid(value, {
    errorHook: (path: string[], fieldValue: unknown, fieldType: avro.Type) => {
      const described = fieldValue === undefined ? 'is missing' : `is ${JSON.stringify(fieldValue)}`;
      fieldErrors.push({ path: path.length > 0 ? path.join('.') : '(root)', message: `${described}, expected ${describe(fieldType)}` });
    },
  });
  if (fieldErrors.length > 0) throw new InvalidValueError(type.name ?? type.typeName, fieldErrors);
}

function describe(type: avro.Type): string {
  const schema = type.schema();
  return typeof schema === 'string' ? schema : JSON.stringify(schema);
}
