// Test helper for checking an image without a Docker engine: a Dockerfile read into its stages, its
// build context's ignore rules, and the build outputs it copies. It never builds anything itself.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { Copy, DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import type { Test } from 'tap';
import { projectRoot } from '../../src/domain/toolchain.js';

/** One stage: its name (`AS name`, or ''), the image it starts FROM, and the instructions after that FROM. */
export type Stage = { name: string; parent: string; instructions: Instruction[] };

export type ParsedDockerfile = {
  dockerfile: Dockerfile;
  text: string;
  /** In file order; the last is the image's final stage. */
  stages: Stage[];
  stage(name: string): Stage;
  /** An ARG's default, from before the first FROM or inside a stage. */
  argDefault(name: string): string | undefined;
};

/** `path` is relative to the project root. */
export function readDockerfile(path: string): ParsedDockerfile {
  const text = readFileSync(join(projectRoot, path), 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [parent, , name] = argumentsOf(instruction);
      stages.push({ name: name ?? '', parent: parent ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return {
    dockerfile,
    text,
    stages,
    stage(name) {
      const found = stages.find((candidate) => candidate.name === name);
      if (!found) throw new Error(`${path} has no stage ${name}`);
      return found;
    },
    argDefault: (name) =>
      [...dockerfile.getInitialARGs(), ...dockerfile.getARGs()]
        .map((arg) => arg.getProperty())
        .find((property) => property?.getName() === name)
        ?.getValue() ?? undefined,
  };
}

export const keyword = (name: string) => (instruction: Instruction) => instruction.getKeyword() === name;
export const argumentsOf = (instruction: Instruction) => instruction.getArguments().map((argument) => argument.getValue());
/** The shell scripts of a stage's RUN lines. */
export const runScripts = (stage: Stage) => stage.instructions.filter(keyword('RUN')).map((instruction) => instruction.getArgumentsContent() ?? '');
export const copiesOf = (stage: Stage) => stage.instructions.filter((instruction): instruction is Copy => instruction instanceof Copy);

/** The build context's ignore rules, from `.dockerignore` or BuildKit's `<Dockerfile>.dockerignore` (relative to the project root). */
export function contextIgnore(path: string) {
  // The package is CommonJS typed as an ES default export; `.default` is the factory either way.
  return dockerignore.default().add(readFileSync(join(projectRoot, path), 'utf8'));
}

/**
 * Whether the build outputs (relative to the project root) exist, failing `t` with what to run when
 * not. Tests read dist/ and web/dist but never build them: `npm test` builds what is stale before tap
 * starts, and a test rebuilding them would replace files that tests running beside it serve.
 */
export function buildOutputsPresent(t: Test, paths: string[]): boolean {
  const missing = paths.filter((path) => !existsSync(join(projectRoot, path)));
  if (missing.length > 0) t.fail(`missing build output ${missing.join(', ')}: run npm run build`);
  return missing.length === 0;
}
