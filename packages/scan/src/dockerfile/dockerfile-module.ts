import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import type { FindingInput } from '../finding.ts';
import { normalizeSnippet } from '../fingerprint.ts';
import type { ModuleReport, ScanContext, ScanFile, ScanModule } from '../scan-module.ts';
import { DOCKERFILE_RULES } from './dockerfile-rules.ts';
import { isSecretAssignment } from '../secret-names.ts';
import { buildTools, insecureEnv, runCommandFindings } from './run-commands.ts';
import { dockerfileStages, finalStages, stageChain, type Stage } from './stages.ts';

/** `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`, `Containerfile`. */
export function isDockerfile(path: string): boolean {
  const name = path.split('/').at(-1) ?? path;
  if (/\.(?:md|txt|ts|js|mjs|json|ya?ml|sh|bak|orig|swp|dockerignore)$/iu.test(name)) return false;
  return /^(?:Dockerfile|Containerfile)(?:\.[\w-]+)?$|\.(?:Dockerfile|dockerfile)$/u.test(name);
}

export const dockerfileModule: ScanModule = {
  id: 'dockerfile',
  name: 'Dockerfiles',
  rules: DOCKERFILE_RULES,
  accepts: (file) => isDockerfile(file.path),
  async scan(context: ScanContext): Promise<ModuleReport> {
    const findings: FindingInput[] = [];
    const failures: { file: string; message: string }[] = [];
    for (const file of context.files) {
      let text: string;
      try {
        text = await context.readText(file);
      } catch (error) {
        failures.push({
          file: file.path,
          message: `cannot read: ${error instanceof Error ? error.message : String(error)}`,
        });
        continue;
      }
      findings.push(...checkDockerfile(file, text));
    }
    return { findings, failures, scanned: context.files.length };
  },
};

/**
 * Every finding of one Dockerfile.
 *
 * @example
 * checkDockerfile({ path: 'Dockerfile', absolute: '/repo/Dockerfile' }, 'FROM node\nCMD node main.js\n');
 * // dockerfile/base-latest, base-no-digest, root-user, shell-form-cmd
 */
export function checkDockerfile(file: ScanFile, text: string): FindingInput[] {
  const dockerfile = DockerfileParser.parse(text);
  const stages = dockerfileStages(dockerfile);
  const findings: FindingInput[] = [];
  const at = (instruction: Instruction): { file: string; line: number; column: number } => {
    const start = instruction.getRange().start;
    return { file: file.path, line: start.line + 1, column: start.character + 1 };
  };
  const key = (instruction: Instruction): string => normalizeSnippet(instruction.getTextContent());
  const report = (ruleId: string, instruction: Instruction, message: string, extraKey = ''): void => {
    findings.push({ ruleId, location: at(instruction), key: `${key(instruction)}${extraKey}`, message });
  };
  const stageNames = new Set(stages.map((s) => s.name));

  for (const stage of stages) {
    checkBase(stage, stageNames, report);
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const args = instruction.getRawArgumentsContent() ?? '';
      if (keyword === 'RUN') {
        for (const finding of runCommandFindings(args))
          report(finding.ruleId, instruction, finding.message, `:${finding.message}`);
      } else if (keyword === 'ADD') {
        checkAdd(instruction, report);
      } else if (keyword === 'ENV' || keyword === 'ARG') {
        checkVariables(instruction, report);
      } else if ((keyword === 'CMD' || keyword === 'ENTRYPOINT') && !isExecForm(args)) {
        report(
          'dockerfile/shell-form-cmd',
          instruction,
          `\`${keyword}\` in shell form runs under \`/bin/sh -c\``,
        );
      }
    }
  }
  for (const stage of finalStages(stages)) {
    checkUser(stage, report);
    for (const s of stageChain(stage)) {
      for (const instruction of s.instructions) {
        if (instruction.getKeyword() !== 'RUN') continue;
        const tools = buildTools(instruction.getRawArgumentsContent() ?? '');
        if (tools.length > 0) {
          report(
            'dockerfile/build-tools-in-final-stage',
            instruction,
            `final stage \`${stage.name}\` ships ${tools.map((t) => `\`${t}\``).join(', ')}`,
            `:${stage.name}`,
          );
        }
      }
    }
  }
  return findings;
}

type Report = (ruleId: string, instruction: Instruction, message: string, extraKey?: string) => void;

function checkBase(stage: Stage, stageNames: ReadonlySet<string>, report: Report): void {
  const image = stage.image;
  if (image === '' || image === 'scratch' || stage.parent !== undefined || stageNames.has(image)) return;
  if (image.includes('$')) return; // a build argument without a default: only the build knows
  const [reference, digest] = image.split('@');
  const lastPart = (reference ?? '').split('/').at(-1) ?? '';
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : undefined;
  if (digest === undefined && (tag === undefined || tag === 'latest')) {
    report(
      'dockerfile/base-latest',
      stage.from,
      tag === undefined
        ? `base image \`${image}\` has no tag (it means \`latest\`)`
        : `base image \`${image}\` is \`latest\``,
    );
  }
  if (digest === undefined || !/^sha256:[a-f0-9]{64}$/u.test(digest)) {
    report('dockerfile/base-no-digest', stage.from, `base image \`${image}\` is not pinned by digest`);
  }
}

const ARCHIVE = /\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$/iu;
const URL = /^(?:https?|ftp):\/\//iu;

function checkAdd(instruction: Instruction, report: Report): void {
  const args = instruction
    .getArguments()
    .map((a) => a.getValue())
    .filter((a) => !a.startsWith('--'));
  const sources = args.slice(0, -1);
  const flags: readonly string[] = instruction.getTextContent().match(/--[a-z-]+/gu) ?? []; // flags are not in the arguments
  const urls = sources.filter((s) => URL.test(s));
  if (urls.length > 0 && !flags.includes('--checksum')) {
    report(
      'dockerfile/add-url-no-checksum',
      instruction,
      `\`ADD ${urls.join(' ')}\` downloads without \`--checksum\``,
    );
  }
  if (sources.length > 0 && sources.every((s) => !URL.test(s) && !ARCHIVE.test(s) && !s.endsWith('.git'))) {
    report(
      'dockerfile/add-instead-of-copy',
      instruction,
      '`ADD` of local files: `COPY` does this without the side effects',
    );
  }
}

function checkVariables(instruction: Instruction, report: Report): void {
  const properties =
    'getProperties' in instruction
      ? (
          instruction as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }
        ).getProperties()
      : [
          (
            instruction as unknown as {
              getProperty(): { getName(): string; getValue(): string | null } | null;
            }
          ).getProperty(),
        ];
  for (const property of properties) {
    if (property === null) continue;
    const name = property.getName();
    const value = (property.getValue() ?? '').trim();
    const insecure = instruction.getKeyword() === 'ENV' ? insecureEnv(name, value) : undefined;
    if (insecure !== undefined) report('dockerfile/tls-verification-off', instruction, insecure, `:${name}`);
    if (isSecretAssignment(name, value)) {
      report(
        'dockerfile/secret-in-env-arg',
        instruction,
        `\`${instruction.getKeyword()} ${name}\` has a value, stored in the image for anyone who pulls it`,
        `:${name}`,
      );
    }
  }
}

function checkUser(stage: Stage, report: Report): void {
  let last: Instruction | undefined;
  for (const s of stageChain(stage)) {
    for (const instruction of s.instructions) if (instruction.getKeyword() === 'USER') last = instruction;
  }
  if (last === undefined) {
    report(
      'dockerfile/root-user',
      stage.from,
      `final stage \`${stage.name}\` has no \`USER\`: it runs as the base image's user, root unless the base says otherwise`,
      ':no-user',
    );
    return;
  }
  const user = (last.getRawArgumentsContent() ?? '').trim().split(':')[0] ?? '';
  if (user === 'root' || user === '0') {
    report('dockerfile/root-user', last, `final stage \`${stage.name}\` runs as root`, `:${stage.name}`);
  }
}

function isExecForm(args: string): boolean {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return false;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string');
  } catch {
    return false;
  }
}
