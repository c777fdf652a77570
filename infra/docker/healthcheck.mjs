// The services image's HEALTHCHECK (services.Dockerfile): GET /health of this container's service.
// Plain JavaScript, because the runtime image has Node but no TypeScript toolchain.
//
// The port is the value of the variable the image was built with (EVERGREEN_HEALTH_PORT_VARIABLE,
// e.g. EVERGREEN_API_PORT): from the environment when compose sets it, as the service itself reads
// it, otherwise from the image's infra/stack.env, where the service finds its default too.
import { readFileSync } from 'node:fs';

const TIMEOUT_MS = 3_000;

function portFromStackEnv(variable) {
  const text = readFileSync(new URL('../stack.env', import.meta.url), 'utf8');
  const line = text.split(/\r?\n/).find((candidate) => candidate.startsWith(`${variable}=`));
  return line?.slice(variable.length + 1).trim();
}

const variable = process.env.EVERGREEN_HEALTH_PORT_VARIABLE;
if (!variable) {
  console.error('EVERGREEN_HEALTH_PORT_VARIABLE is not set: the image was built without PORT_VARIABLE');
  process.exit(1);
}
const port = process.env[variable] || portFromStackEnv(variable);
if (!port) {
  console.error(`${variable} is set neither in the environment nor in infra/stack.env`);
  process.exit(1);
}

try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) console.error(`/health answered ${response.status}: ${await response.text()}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`/health on port ${port}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
