import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { findRepoRoot } from '@evergreen/platform';
import { payloadTypeFiles } from './payload-types.ts';

// `npm run schemas:types`: writes schemas/<aggregate>/payloads.generated.ts from the .avsc files.
for (const { path, text } of payloadTypeFiles()) {
  writeFileSync(path, text);
  console.log(`[schemas] wrote ${relative(findRepoRoot(), path)}`);
}
