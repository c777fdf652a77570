import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGGREGATES } from './aggregates.ts';
import { SCHEMAS_DIR } from './catalog.ts';
import { payloadTypesModule } from './generate-types.ts';
import { payloadTypeFiles } from './payload-types.ts';

describe('the generated payload types', () => {
  it.each(payloadTypeFiles())('are up to date in $path (npm run schemas:types)', ({ path, text }) => {
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('turn records, nullable fields, enums, arrays and maps into TypeScript', () => {
    const definition = JSON.stringify({
      type: 'record',
      name: 'dev.example.ThingHappened',
      fields: [
        { name: 'id', type: 'string', doc: 'The id.' },
        { name: 'count', type: 'long' },
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
        { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'sku', type: 'string' }] } } },
        { name: 'tags', type: { type: 'map', values: 'int' } },
      ],
    });

    const text = payloadTypesModule([{ definition, path: 'x/ThingHappened.avsc' }]);

    expect(text).toContain("export type Kind = 'A' | 'B';");
    expect(text).toContain('export interface Line {\n  sku: string;\n}');
    expect(text).toContain('  /** The id. */\n  id: string;\n  count: number;\n  note: null | string;\n  kind: Kind;\n  lines: Array<Line>;\n  tags: Record<string, number>;');
  });
});

describe('the aggregates', () => {
  it('have a descriptor for every folder of schemas under schemas/', () => {
    const folders = readdirSync(SCHEMAS_DIR).filter((name) => statSync(join(SCHEMAS_DIR, name)).isDirectory() && readdirSync(join(SCHEMAS_DIR, name)).some((file) => file.endsWith('.avsc')));

    expect(folders.sort()).toEqual(AGGREGATES.map((aggregate) => aggregate.type).sort());
  });
});
