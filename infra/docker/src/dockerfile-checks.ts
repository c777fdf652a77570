import { existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { isIgnored, parseDockerignore } from './dockerignore.ts';
import { copyArguments, effectiveUser, parseDockerfile, targetStage, type ParsedDockerfile, type Stage } from './dockerfile.ts';

export interface DockerfileUnderCheck {
  /** The Dockerfile's text. */
  text: string;
  /** The build context its COPY sources are relative to. */
  contextDir: string;
  /** The context's .dockerignore ('' when it has none). */
  dockerignore: string;
  /** infra/versions.env: a base image's tag must come from one of these. */
  pinnedVersions: Record<string, string>;
  /** The stages containers run from: compose's build targets (undefined: the last stage). */
  runTargets: Array<string | undefined>;
}

const ROOT_USERS = new Set(['root', '0']);

function stageLabel(stage: Stage): string {
  return `stage ${stage.name ?? '(unnamed)'} (line ${stage.line})`;
}

/** Every FROM of an image (not of an earlier stage) takes its tag from a version pinned in versions.env. */
function pinnedBaseProblems(dockerfile: ParsedDockerfile, pinnedVersions: Record<string, string>): string[] {
  return dockerfile.stages.flatMap((stage): string[] => {
    if (stage.parent) return [];
    const tag = stage.base.split('/').at(-1)?.split(':')[1] ?? '';
    const names = [...tag.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map(([, name]) => name ?? '');
    const pinned = names.filter((name) => name in pinnedVersions);
    if (pinned.length === 0) return [`${stageLabel(stage)}: FROM ${stage.base} takes its tag from no variable of versions.env`];
    return pinned.flatMap((name) => {
      const declared = dockerfile.globalArgs.find((arg) => arg.name === name);
      if (!declared) return [`${stageLabel(stage)}: ${name} is not an ARG before the first FROM, so FROM cannot read it`];
      if (declared.defaultValue !== undefined && declared.defaultValue !== pinnedVersions[name]) {
        return [`ARG ${name}=${declared.defaultValue} differs from versions.env (${pinnedVersions[name]})`];
      }
      return [];
    });
  });
}

/** COPY and ADD read only what the build context has: paths that exist and that .dockerignore lets in. */
function copySourceProblems(dockerfile: ParsedDockerfile, contextDir: string, dockerignore: string): string[] {
  const rules = parseDockerignore(dockerignore);
  return dockerfile.stages.flatMap((stage, index) =>
    stage.instructions
      .filter((instruction) => ['COPY', 'ADD'].includes(instruction.getKeyword()))
      .flatMap((instruction): string[] => {
        const where = `line ${instruction.getRange().start.line + 1}`;
        const { from, sources } = copyArguments(instruction);
        if (from !== undefined) {
          const earlier = dockerfile.stages.slice(0, index).some((candidate) => candidate.name === from);
          return earlier ? [] : [`${where}: COPY --from=${from} names no earlier stage`];
        }
        return sources.flatMap((source): string[] => {
          if (source.startsWith('<<')) return [];
          if (/[$*?[]/.test(source)) return [`${where}: ${source} has a variable or wildcard, which this check cannot follow`];
          const path = normalize(source);
          if (!existsSync(join(contextDir, path))) return [`${where}: ${source} does not exist in the build context`];
          if (isIgnored(rules, path)) return [`${where}: ${source} is left out of the build context by .dockerignore`];
          return [];
        });
      }),
  );
}

/** The image a service runs from has a HEALTHCHECK. */
function healthcheckProblems(dockerfile: ParsedDockerfile): string[] {
  const last = dockerfile.stages.at(-1);
  if (!last) return ['no FROM: not a Dockerfile'];
  const healthchecks = last.instructions.filter((instruction) => instruction.getKeyword() === 'HEALTHCHECK');
  const final = healthchecks.at(-1);
  if (!final) return [`${stageLabel(last)}: no HEALTHCHECK`];
  if (/^\s*NONE\s*$/i.test(final.getArguments().map((argument) => argument.getValue()).join(' '))) return [`${stageLabel(last)}: HEALTHCHECK NONE`];
  return [];
}

/** Every stage a container runs from ends as a user other than root. */
function userProblems(dockerfile: ParsedDockerfile, runTargets: Array<string | undefined>): string[] {
  return [...new Set(runTargets)].flatMap((target): string[] => {
    const stage = targetStage(dockerfile, target);
    if (!stage) return [`build target ${target ?? '(last stage)'} is no stage of the Dockerfile`];
    const user = effectiveUser(stage);
    if (user === undefined) return [`${stageLabel(stage)}: no USER, so its containers run as root`];
    const name = user.split(':')[0] ?? '';
    return ROOT_USERS.has(name) ? [`${stageLabel(stage)}: USER ${user} is root`] : [];
  });
}

/** What a Dockerfile gets wrong that `docker build` would find late or not at all; empty when nothing. */
export function dockerfileProblems(input: DockerfileUnderCheck): string[] {
  const dockerfile = parseDockerfile(input.text);
  return [
    ...pinnedBaseProblems(dockerfile, input.pinnedVersions),
    ...copySourceProblems(dockerfile, input.contextDir, input.dockerignore),
    ...healthcheckProblems(dockerfile),
    ...userProblems(dockerfile, input.runTargets),
  ];
}
