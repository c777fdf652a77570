// `npm run build`: each service (services/*, the package.json `main` of each) bundled from its
// TypeScript entry into one JavaScript file, with the workspace packages inlined and the
// third-party ones left to node_modules, so `node dist/<entry>.js` starts in about a second instead
// of compiling TypeScript on every start. Sources are type-checked by `npm run typecheck`, not here.
import { cpSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/** Bare imports that are not the monorepo's own stay imports: node resolves them from node_modules at run time. */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, ({ path }) => (path.startsWith('@evergreen/') ? undefined : { path, external: true }));
  },
};

const services = readdirSync(join(root, 'services'))
  .map((name) => join(root, 'services', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => typeof manifest.main === 'string' && manifest.main.startsWith('dist/'));

const started = performance.now();
await Promise.all(
  services.map(async ({ dir, manifest }) => {
    const entry = join(dir, manifest.main.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
    await build({
      entryPoints: [entry],
      outfile: join(dir, manifest.main),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [thirdPartyExternal],
    });
    // A service's static files (the operator console's page) ship inside its dist/, so whatever
    // runs the bundle (the supervisor, the container image) has them beside it.
    if (existsSync(join(dir, 'public'))) cpSync(join(dir, 'public'), join(dir, 'dist', 'public'), { recursive: true });
    console.log(`[build] ${manifest.name}: ${relative(root, entry)} → ${relative(root, join(dir, manifest.main))}`);
  }),
);
console.log(`[build] ${services.length} services in ${Math.round(performance.now() - started)} ms`);
