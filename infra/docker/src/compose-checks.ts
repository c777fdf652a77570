import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { buildArgs, buildOf, CLUSTER_ENV_FILE, CLUSTER_PROFILE, composeServices, dependencies, isActive, type ComposePort, type ComposeProject, type ComposeService } from './compose-file.ts';
import { argDeclarations, parseDockerfile, stageChain, targetStage } from './dockerfile.ts';
import { allStrings, referencedVariables } from './interpolation.ts';

/** The build argument that names the service (services/<name>) an image bundles. */
export const SERVICE_ARG = 'SERVICE';
/** The build argument that names the stack.env variable holding the port of the service's /health. */
export const PORT_VARIABLE_ARG = 'PORT_VARIABLE';

/** The services `npm run build` bundles: every services/* whose package.json `main` is under dist/. */
export function bundledServices(repoRoot: string): string[] {
  const dir = join(repoRoot, 'services');
  return readdirSync(dir).filter((name) => {
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) return false;
    const { main } = JSON.parse(readFileSync(manifest, 'utf8')) as { main?: unknown };
    return typeof main === 'string' && main.startsWith('dist/');
  });
}

function entries(project: ComposeProject, document: unknown = project.interpolated): Array<[string, ComposeService]> {
  return Object.entries(composeServices(document));
}

/**
 * Every build names a context and Dockerfile that exist, a target that is a stage of it, only
 * arguments it declares (Docker ignores a misspelt one), every argument it cannot do without, and
 * a service of the tree; and every service the tree bundles is one the compose file runs.
 */
export function buildProblems(project: ComposeProject): string[] {
  const built = new Map<string, string>();
  const problems = entries(project).flatMap(([name, service]): string[] => {
    const build = buildOf(service);
    if (!build) return [];
    const context = resolve(project.composeDir, build.context ?? '.');
    if (!existsSync(context)) return [`${name}: build context ${build.context ?? '.'} does not exist`];
    const dockerfilePath = resolve(context, build.dockerfile ?? 'Dockerfile');
    if (!existsSync(dockerfilePath)) return [`${name}: Dockerfile ${build.dockerfile ?? 'Dockerfile'} does not exist in ${build.context ?? '.'}`];

    const dockerfile = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
    const stage = targetStage(dockerfile, build.target);
    if (!stage) return [`${name}: build target ${build.target ?? '(last stage)'} is no stage of ${build.dockerfile ?? 'Dockerfile'}`];
    const args = buildArgs(build);
    const declared = [...dockerfile.globalArgs, ...dockerfile.stages.flatMap((candidate) => argDeclarations(candidate.instructions))];
    const required = [...dockerfile.globalArgs, ...stageChain(stage).flatMap((link) => argDeclarations(link.instructions))].filter((arg) => arg.defaultValue === undefined);
    const found = [
      ...Object.keys(args).filter((arg) => !declared.some((declaration) => declaration.name === arg)).map((arg) => `${name}: build argument ${arg} is declared by no ARG of the Dockerfile`),
      ...required.filter((arg) => !args[arg.name]).map((arg) => `${name}: the Dockerfile needs build argument ${arg.name}, which is not given`),
    ];
    const serviceName = args[SERVICE_ARG];
    if (serviceName !== undefined) {
      if (!existsSync(join(project.repoRoot, 'services', serviceName, 'package.json'))) found.push(`${name}: ${SERVICE_ARG}=${serviceName} names no services/${serviceName}/package.json`);
      else if (!bundledServices(project.repoRoot).includes(serviceName)) found.push(`${name}: services/${serviceName} is not bundled by npm run build (its main is not under dist/)`);
      built.set(serviceName, name);
    }
    return found;
  });
  const missing = bundledServices(project.repoRoot).filter((service) => !built.has(service));
  return [...problems, ...missing.map((service) => `services/${service} is bundled by npm run build but no compose service builds it`)];
}

function isBindSource(source: string): boolean {
  return source.startsWith('.') || isAbsolute(source);
}

/** Every env_file and every bind-mounted host path exists. */
export function fileReferenceProblems(project: ComposeProject): string[] {
  return entries(project).flatMap(([name, service]) => {
    const envFiles = [service.env_file ?? []].flat().map((file) => (typeof file === 'string' ? file : file.path));
    const binds = (service.volumes ?? []).flatMap((volume) => {
      const source = typeof volume === 'string' ? volume.split(':')[0] ?? '' : volume.type === 'bind' ? volume.source ?? '' : '';
      return isBindSource(source) ? [source] : [];
    });
    return [
      ...envFiles.filter((file) => !existsSync(resolve(project.composeDir, file))).map((file) => `${name}: env_file ${file} does not exist`),
      ...binds.filter((source) => !existsSync(resolve(project.composeDir, source))).map((source) => `${name}: bind mount source ${source} does not exist`),
    ];
  });
}

/** Every variable the compose file interpolates is defined by one of the env files it is run with. */
export function undefinedVariableProblems(project: ComposeProject): string[] {
  const names = new Set(allStrings(project.written).flatMap(referencedVariables));
  return [...names].filter((name) => !(name in project.variables)).map((name) => `\${${name}} is defined in none of ${Object.keys(project.envFiles).join(', ')}`);
}

interface PortMapping {
  hostIp?: string;
  published?: string;
  target: string;
}

/** Splits a short-syntax port at the colons that are not inside a ${…}. */
function shortPort(text: string): PortMapping {
  const parts = text.replace(/\/(tcp|udp)$/, '').split(/:(?![^{]*\})/);
  const [first = '', second, third] = parts;
  if (parts.length >= 3) return { hostIp: first, published: second ?? '', target: third ?? '' };
  if (parts.length === 2) return { published: first, target: second ?? '' };
  return { target: first };
}

function portMapping(port: ComposePort): PortMapping {
  if (typeof port === 'number') return { target: String(port) };
  if (typeof port === 'string') return shortPort(port);
  return {
    ...(port.host_ip === undefined ? {} : { hostIp: port.host_ip }),
    ...(port.published === undefined ? {} : { published: String(port.published) }),
    target: String(port.target ?? ''),
  };
}

const PORT_VARIABLE = /^\$\{(EVERGREEN_[A-Z0-9_]*PORT)\}$/;

/** The host ports an env file gives: its EVERGREEN_…_PORT(S) values and the ports of its host:port lists. */
function hostPortsOf(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => {
    if (/^EVERGREEN_[A-Z0-9_]*PORTS?$/.test(name)) return value.split(',').map((item) => item.trim());
    if (name === 'EVERGREEN_REDIS_NODES') return value.split(',').map((item) => item.trim().split(':')[1] ?? '');
    return [];
  });
}

/** Where the cluster profile publishes instance `index` (0-based) of a service: its port, + 100 per instance. */
export function clusterInstancePort(clusterEnv: Record<string, string>, variable: string, index: number): string {
  return String(Number(clusterEnv[variable]) + 100 * index);
}

/**
 * Every published port is on 127.0.0.1 at a port of stack.env (of stack.cluster.env for a service
 * of the cluster profile), named by its variable or equal to its value, and no two services publish
 * the same one (the two profiles run side by side). A service built here publishes the port of its
 * PORT_VARIABLE at that same number inside, where the service listens and its HEALTHCHECK asks; in
 * the cluster profile at stack.cluster.env's number (+ 100 per further instance) outside.
 */
export function portProblems(project: ComposeProject): string[] {
  const stackEnv = project.envFiles['stack.env'] ?? {};
  const clusterEnv = project.envFiles[CLUSTER_ENV_FILE] ?? {};
  const stackPorts = hostPortsOf(stackEnv);
  const clusterPorts = hostPortsOf(clusterEnv);
  const instances = Number(clusterEnv.EVERGREEN_CONSUMER_INSTANCES ?? 1);
  const interpolated = composeServices(project.interpolated);
  const hostPorts = new Map<string, string>();
  return entries(project, project.written).flatMap(([name, service]) =>
    (service.ports ?? []).flatMap((port, index): string[] => {
      const written = portMapping(port);
      const actual = portMapping(interpolated[name]?.ports?.[index] ?? port);
      const label = `${name}: port ${typeof port === 'object' ? JSON.stringify(port) : String(port)}`;
      if (written.published === undefined) return [`${label} is published on a random host port, not one of stack.env`];
      const cluster = !isActive(service, []) && isActive(service, [CLUSTER_PROFILE]);
      const found: string[] = [];
      if (actual.hostIp !== '127.0.0.1') found.push(`${label} is published on ${actual.hostIp ?? 'every interface'}, not 127.0.0.1`);
      const build = buildOf(service);
      const portVariable = build ? buildArgs(build)[PORT_VARIABLE_ARG] : undefined;
      const variable = PORT_VARIABLE.exec(written.published)?.[1];
      if (cluster) {
        if (variable !== undefined || (portVariable === undefined && !clusterPorts.includes(written.published))) {
          found.push(`${label}: host port ${written.published} is not the value of a port of ${CLUSTER_ENV_FILE}`);
        }
        const allowed = portVariable === undefined ? [] : Array.from({ length: instances }, (_, instance) => clusterInstancePort(clusterEnv, portVariable, instance));
        if (portVariable !== undefined && (written.target !== `\${${portVariable}}` || !allowed.includes(written.published))) {
          found.push(`${label}: must be one of ${allowed.join(', ')}:\${${portVariable}} (${CLUSTER_ENV_FILE}'s port outside, the one its service listens on inside)`);
        }
      } else {
        if (variable !== undefined) {
          if (!(variable in stackEnv)) found.push(`${label}: ${variable} is not in stack.env`);
        } else if (!stackPorts.includes(written.published)) {
          found.push(`${label}: host port ${written.published} is neither \${EVERGREEN_…_PORT} nor the value of one in stack.env`);
        }
        if (portVariable !== undefined && (written.published !== `\${${portVariable}}` || written.target !== `\${${portVariable}}`)) {
          found.push(`${label}: must be \${${portVariable}}:\${${portVariable}}, the port its service listens on (${PORT_VARIABLE_ARG})`);
        }
      }
      const other = hostPorts.get(actual.published ?? '');
      if (other !== undefined) found.push(`${label}: host port ${actual.published ?? ''} is published by ${other} too`);
      hostPorts.set(actual.published ?? '', name);
      return found;
    }),
  );
}

/**
 * Every dependency names a service; one waited on until healthy has a health check (its own, or its
 * image's when the compose file builds it: dockerfileProblems checks that); one waited on until it
 * completed does not restart, or it would never complete.
 */
export function dependencyProblems(project: ComposeProject): string[] {
  const services = composeServices(project.interpolated);
  return Object.entries(services).flatMap(([name, service]) =>
    dependencies(service).flatMap(({ name: dependency, condition }): string[] => {
      const target = services[dependency];
      if (!target) return [`${name}: depends on ${dependency}, which is no service`];
      if (isActive(service, []) && !isActive(target, [])) return [`${name}: runs without a profile but depends on ${dependency}, which only runs in profile ${(target.profiles ?? []).join(', ')}`];
      if (condition === 'service_healthy' && !target.healthcheck && !target.build) return [`${name}: waits for ${dependency} to be healthy, which has no health check`];
      if (condition === 'service_completed_successfully' && target.restart !== undefined && target.restart !== 'no') {
        return [`${name}: waits for ${dependency} to complete, which restarts (${target.restart})`];
      }
      return [];
    }),
  );
}
