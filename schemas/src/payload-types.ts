import { join } from 'node:path';
import { AGGREGATES } from './aggregates.ts';
import { eventCatalog, SCHEMAS_DIR } from './catalog.ts';
import { payloadTypesModule } from './generate-types.ts';

/** Where each aggregate's generated payload types live, and what they must say now. */
export function payloadTypeFiles(): Array<{ path: string; text: string }> {
  return AGGREGATES.map((aggregate) => ({
    path: join(SCHEMAS_DIR, aggregate.type, 'payloads.generated.ts'),
    text: payloadTypesModule(eventCatalog.schemasOf([aggregate.type])),
  }));
}
