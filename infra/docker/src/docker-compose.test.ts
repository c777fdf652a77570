import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoot } from '@evergreen/platform';
import { buildProblems, dependencyProblems, fileReferenceProblems, portProblems, undefinedVariableProblems } from './compose-checks.ts';
import { buildOf, composeProject, composeServices, readEnvFiles, type ComposeProject } from './compose-file.ts';
import { composeSchemaProblems } from './compose-schema.ts';
import { dockerfileProblems, type DockerfileUnderCheck } from './dockerfile-checks.ts';

// No Docker engine runs here: these tests are what keeps infra/docker-compose.yml and
// infra/docker/services.Dockerfile true. Each check runs on the real files and, to show that it
// can fail, on a copy with one mistake put in.

const repoRoot = findRepoRoot();
const composePath = join(repoRoot, 'infra', 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
const envFiles = readEnvFiles(join(repoRoot, 'infra'));
const dockerfilePath = join(repoRoot, 'infra', 'docker', 'services.Dockerfile');
const dockerfileText = readFileSync(dockerfilePath, 'utf8');
const dockerignorePath = join(repoRoot, '.dockerignore');

/** Replaces one passage that must be there, so a test whose fixture drifted fails instead of passing. */
function edited(text: string, from: string, to: string): string {
  expect(text, `the passage to edit is gone: ${from}`).toContain(from);
  return text.replace(from, to);
}

function compose(text: string = composeText): ComposeProject {
  return composeProject(text, envFiles, composePath, repoRoot);
}

function dockerfile(overrides: Partial<DockerfileUnderCheck> = {}): DockerfileUnderCheck {
  const project = compose();
  const runTargets = Object.values(composeServices(project.interpolated)).flatMap((service) => {
    const build = buildOf(service);
    return build ? [build.target] : [];
  });
  return {
    text: dockerfileText,
    contextDir: repoRoot,
    dockerignore: existsSync(dockerignorePath) ? readFileSync(dockerignorePath, 'utf8') : '',
    pinnedVersions: envFiles['versions.env'] ?? {},
    runTargets,
    ...overrides,
  };
}

describe('infra/docker-compose.yml', () => {
  it('follows the Compose Specification once interpolated from infra/versions.env and infra/stack.env', () => {
    expect(composeSchemaProblems(compose().interpolated)).toEqual([]);
  });

  it('builds every service of the tree, and only those, from a context and Dockerfile that exist', () => {
    expect(buildProblems(compose())).toEqual([]);
    expect(fileReferenceProblems(compose())).toEqual([]);
  });

  it('reads only variables that infra/*.env define', () => {
    expect(undefinedVariableProblems(compose())).toEqual([]);
  });

  it("publishes every port on 127.0.0.1 at infra/stack.env's number", () => {
    expect(portProblems(compose())).toEqual([]);
  });

  it('waits only for services that exist and can become what it waits for', () => {
    expect(dependencyProblems(compose())).toEqual([]);
  });

  it('starts every service it builds after the setup completed, and setup runs scripts the root package.json has', () => {
    const services = composeServices(compose().interpolated);
    const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const setup = services.setup;
    expect(setup?.restart).toBe('no');
    const command = [setup?.command ?? []].flat().join(' ');
    const npmScripts = [...command.matchAll(/npm run ([\w:-]+)/g)].map(([, script]) => script ?? '');
    expect(npmScripts).toEqual(['db:migrate', 'schemas:register', 'connect:apply']);
    for (const script of npmScripts) expect(scripts, script).toHaveProperty([script]);
    for (const [name, service] of Object.entries(services)) {
      if (name === 'setup' || !service.build) continue;
      expect(service.depends_on, name).toMatchObject({ setup: { condition: 'service_completed_successfully' } });
      expect(service.restart, name).toBe('unless-stopped');
    }
  });
});

describe('infra/docker/services.Dockerfile', () => {
  it('copies only what the build context has, starts from the pinned Node, runs as non-root and has a HEALTHCHECK', () => {
    expect(dockerfileProblems(dockerfile())).toEqual([]);
  });
});

describe('each check fails on the mistake it is for', () => {
  it('schema: a key the Compose Specification does not have', () => {
    const broken = edited(composeText, '    ports:\n      - "127.0.0.1:${EVERGREEN_API_PORT}', '    port:\n      - "127.0.0.1:${EVERGREEN_API_PORT}');
    expect(composeSchemaProblems(compose(broken).interpolated)).toContainEqual(expect.stringContaining('(port)'));
  });

  it('builds: a service, Dockerfile or build argument that does not exist, a service of the tree left out', () => {
    expect(buildProblems(compose(edited(composeText, 'SERVICE: relay-monitor', 'SERVICE: relay-monitr')))).toEqual([
      expect.stringContaining('names no services/relay-monitr/package.json'),
      'services/relay-monitor is bundled by npm run build but no compose service builds it',
    ]);
    expect(buildProblems(compose(edited(composeText, 'dockerfile: infra/docker/services.Dockerfile\n      target: build', 'dockerfile: infra/docker/Dockerfile\n      target: build')))).toEqual([
      expect.stringContaining('setup: Dockerfile infra/docker/Dockerfile does not exist'),
    ]);
    expect(buildProblems(compose(edited(composeText, 'PORT_VARIABLE: EVERGREEN_API_PORT', 'PORT_VARIABLES: EVERGREEN_API_PORT')))).toEqual([
      'registration-api: build argument PORT_VARIABLES is declared by no ARG of the Dockerfile',
      'registration-api: the Dockerfile needs build argument PORT_VARIABLE, which is not given',
    ]);
    expect(fileReferenceProblems(compose(edited(composeText, './docker/postgres-init.sh', './docker/postgres-init.bash')))).toEqual([
      'postgres: bind mount source ./docker/postgres-init.bash does not exist',
    ]);
  });

  it('variables: one that no env file defines', () => {
    expect(undefinedVariableProblems(compose(edited(composeText, 'POSTGRES_PASSWORD: ${EVERGREEN_PG_PASSWORD}', 'POSTGRES_PASSWORD: ${EVERGREEN_PG_PASSWRD}')))).toEqual([
      expect.stringContaining('${EVERGREEN_PG_PASSWRD}'),
    ]);
  });

  it('ports: every interface, a number not in stack.env, a service not at its own port', () => {
    const pgPort = '"127.0.0.1:${EVERGREEN_PG_PORT}:5432"';
    expect(portProblems(compose(edited(composeText, pgPort, '"${EVERGREEN_PG_PORT}:5432"')))).toEqual([expect.stringContaining('every interface, not 127.0.0.1')]);
    expect(portProblems(compose(edited(composeText, pgPort, '"127.0.0.1:15433:5432"')))).toEqual([expect.stringContaining('host port 15433 is neither')]);
    expect(portProblems(compose(edited(composeText, pgPort, '"127.0.0.1:15432:5432"')))).toEqual([]);
    expect(portProblems(compose(edited(composeText, '"127.0.0.1:${EVERGREEN_API_PORT}:${EVERGREEN_API_PORT}"', '"127.0.0.1:${EVERGREEN_API_PORT}:3000"')))).toEqual([
      expect.stringContaining('must be ${EVERGREEN_API_PORT}:${EVERGREEN_API_PORT}'),
    ]);
  });

  it('dependencies: a one-shot setup that restarts never completes', () => {
    expect(dependencyProblems(compose(edited(composeText, 'restart: "no"', 'restart: on-failure')))).toContainEqual(
      'registration-api: waits for setup to complete, which restarts (on-failure)',
    );
  });

  it('Dockerfile: a missing or ignored COPY source, root, no HEALTHCHECK, an unpinned base image', () => {
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'COPY schemas/ schemas/', 'COPY schema/ schemas/') }))).toEqual([
      expect.stringContaining('schema/ does not exist in the build context'),
    ]);
    expect(dockerfileProblems(dockerfile({ dockerignore: '**/*.env\n' }))).toEqual([
      expect.stringContaining('infra/versions.env is left out of the build context by .dockerignore'),
      expect.stringContaining('infra/stack.env is left out of the build context by .dockerignore'),
    ]);
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'USER node\nWORKDIR', 'USER root\nWORKDIR') }))).toEqual([expect.stringContaining('USER root is root')]);
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'HEALTHCHECK --interval', 'RUN true\n# --interval') }))).toEqual([
      expect.stringContaining('no HEALTHCHECK'),
    ]);
    expect(dockerfileProblems(dockerfile({ text: edited(dockerfileText, 'FROM node:${NODE_MAJOR}-bookworm-slim', 'FROM node:20-bookworm-slim') }))).toEqual([
      expect.stringContaining('takes its tag from no variable of versions.env'),
    ]);
  });
});
