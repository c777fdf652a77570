import { DockerfileParser, ModifiableInstruction, type Instruction } from 'dockerfile-ast';

/** One ARG: its name and default, if it has one. */
export interface ArgDeclaration {
  name: string;
  defaultValue?: string;
}

/** One FROM and the instructions up to the next. */
export interface Stage {
  /** Its `AS` name, if any. */
  name?: string;
  /** What it starts from, as written: an image reference or an earlier stage's name. */
  base: string;
  /** The earlier stage it starts from, when it starts from one. */
  parent?: Stage;
  instructions: Instruction[];
  line: number;
}

export interface ParsedDockerfile {
  /** The ARGs before the first FROM: the only ones a FROM line can use. */
  globalArgs: ArgDeclaration[];
  stages: Stage[];
}

export function argDeclarations(instructions: Instruction[]): ArgDeclaration[] {
  return instructions
    .filter((instruction) => instruction.getKeyword() === 'ARG')
    .map((instruction) => {
      const [name = '', ...value] = (instruction.getArgumentsContent() ?? '').split('=');
      return value.length > 0 ? { name: name.trim(), defaultValue: value.join('=').trim() } : { name: name.trim() };
    });
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions = DockerfileParser.parse(text).getInstructions();
  const firstFrom = instructions.findIndex((instruction) => instruction.getKeyword() === 'FROM');
  const globalArgs = argDeclarations(firstFrom === -1 ? instructions : instructions.slice(0, firstFrom));
  const stages: Stage[] = [];
  for (const instruction of firstFrom === -1 ? [] : instructions.slice(firstFrom)) {
    if (instruction.getKeyword() !== 'FROM') {
      stages.at(-1)?.instructions.push(instruction);
      continue;
    }
    // FROM [--platform=…] <image> [AS <name>]
    const words = (instruction.getArgumentsContent() ?? '').split(/\s+/).filter((word) => word !== '' && !word.startsWith('--'));
    const base = words[0] ?? '';
    const name = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
    const parent = stages.find((stage) => stage.name === base);
    stages.push({
      ...(name === undefined ? {} : { name }),
      base,
      ...(parent === undefined ? {} : { parent }),
      instructions: [],
      line: instruction.getRange().start.line + 1,
    });
  }
  return { globalArgs, stages };
}

/** The stage a build of `target` ends with: that stage, or the last one when no target is named. */
export function targetStage(dockerfile: ParsedDockerfile, target?: string): Stage | undefined {
  return target === undefined ? dockerfile.stages.at(-1) : dockerfile.stages.find((stage) => stage.name === target);
}

/** A stage and the earlier stages it starts from, the stage itself first. */
export function stageChain(stage: Stage): Stage[] {
  return stage.parent ? [stage, ...stageChain(stage.parent)] : [stage];
}

/** The user a stage's image runs as: its last USER, or the one of the stage it starts from. */
export function effectiveUser(stage: Stage): string | undefined {
  const users = stage.instructions.filter((instruction) => instruction.getKeyword() === 'USER');
  const last = users.at(-1);
  if (last) return (last.getArgumentsContent() ?? '').trim();
  return stage.parent ? effectiveUser(stage.parent) : undefined;
}

/** The arguments of a COPY or ADD: its sources and its destination, whether written as words or as JSON. */
export function copyArguments(instruction: Instruction): { from?: string; sources: string[]; destination: string } {
  const flags = instruction instanceof ModifiableInstruction ? instruction.getFlags() : [];
  const from = flags.find((flag) => flag.getName() === 'from')?.getValue() ?? undefined;
  const content = instruction.getArguments().map((argument) => argument.getValue()).join(' ');
  const words = content.trimStart().startsWith('[') ? (JSON.parse(content) as string[]) : content.split(/\s+/).filter((word) => word !== '');
  const destination = words.at(-1) ?? '';
  return { ...(from === undefined ? {} : { from }), sources: words.slice(0, -1), destination };
}
