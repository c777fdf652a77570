import type { EventSchema } from '@evergreen/event-catalog';

// TypeScript types of the event payloads, generated from the .avsc files (the source of truth), so a
// writer's payload and a reader's handler are checked by the compiler against the schema itself.

type AvroSchema = string | AvroSchema[] | { type: AvroSchema | string; name?: string; namespace?: string; fields?: Array<{ name: string; type: AvroSchema; doc?: string }>; symbols?: string[]; items?: AvroSchema; values?: AvroSchema; logicalType?: string; doc?: string };

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  // avsc reads a long as a JavaScript number (exact up to 2^53), and logical types are not turned into objects.
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

const simpleName = (name: string) => name.split('.').pop() as string;

/** Declarations of the named types met on the way (records, enums), by simple name. */
class Declarations {
  readonly text = new Map<string, string>();

  typeOf(schema: AvroSchema): string {
    if (typeof schema === 'string') return PRIMITIVES[schema] ?? simpleName(schema);
    if (Array.isArray(schema)) return schema.map((branch) => this.typeOf(branch)).join(' | ');
    if (typeof schema.type !== 'string') return this.typeOf(schema.type);
    switch (schema.type) {
      case 'record':
        return this.record(schema);
      case 'enum': {
        const name = simpleName(schema.name as string);
        this.text.set(name, `export type ${name} = ${(schema.symbols ?? []).map((symbol) => `'${symbol}'`).join(' | ')};`);
        return name;
      }
      case 'array':
        return `Array<${this.typeOf(schema.items as AvroSchema)}>`;
      case 'map':
        return `Record<string, ${this.typeOf(schema.values as AvroSchema)}>`;
      case 'fixed':
        return 'Buffer';
      default:
        return this.typeOf(schema.type);
    }
  }

  record(schema: Exclude<AvroSchema, string | AvroSchema[]>): string {
    const name = simpleName(schema.name as string);
    const fields = (schema.fields ?? []).map((field) => `${field.doc ? `  /** ${field.doc} */\n` : ''}  ${field.name}: ${this.typeOf(field.type)};`);
    this.text.set(name, `${schema.doc ? `/** ${schema.doc} */\n` : ''}export interface ${name} {\n${fields.join('\n')}\n}`);
    return name;
  }
}

/** The module of one aggregate's payload types: an interface per event record, its enums and nested records. */
export function payloadTypesModule(schemas: readonly Pick<EventSchema, 'definition' | 'path'>[]): string {
  const declarations = new Declarations();
  const sources = [...schemas].sort((a, b) => a.path.localeCompare(b.path));
  for (const schema of sources) declarations.typeOf(JSON.parse(schema.definition) as AvroSchema);
  const files = sources.map((schema) => schema.path.split('/').pop()).join(', ');
  return `// Generated from ${files} by \`npm run schemas:types\`; do not edit. A unit test fails when it is stale.\n\n${[...declarations.text.values()].join('\n\n')}\n`;
}
