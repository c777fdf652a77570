import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceSpec } from './supervisor.ts';

/**
 * The monorepo's services, as built by `npm run build`: every services/* whose package.json `main`
 * is a dist/ file, run with this Node.
 */
export function builtServices(repoRoot: string): ServiceSpec[] {
  const dir = join(repoRoot, 'services');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .flatMap((name): ServiceSpec[] => {
      const cwd = join(dir, name);
      const { main } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { main?: string };
      if (!main?.startsWith('dist/')) return [];
      if (!existsSync(join(cwd, main))) throw new Error(`${name}: ${main} is missing; run npm run build first`);
      return [{ name, cwd, command: process.execPath, args: ['--enable-source-maps', main] }];
    });
}
