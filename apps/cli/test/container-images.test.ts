// The Dockerfile, checked by reading it (there is no Docker engine here): parsed with dockerfile-ast
// and held to the rules hadolint and Trivy apply to Dockerfiles — bases pinned by digest, no root
// user, no ADD, no secrets in ARG/ENV, no curl|sh, exec-form CMD, no HEALTHCHECK (Kubernetes probes),
// `npm ci --omit=dev` — plus what the manifests of `rampart export k8s` expect of the images.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { installationRoot } from '../src/up/installation.ts';

const root = installationRoot();
const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);

/** The ARGs before the first FROM, with their defaults: what `FROM ${NAME}` resolves to. */
const initialArgs = new Map(
  dockerfile.getInitialARGs().flatMap((arg) => {
    const property = arg.getProperty();
    const name = property?.getName();
    const value = property?.getValue();
    return name === undefined || value === undefined || value === null ? [] : [[name, value] as const];
  }),
);

interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

function resolveImage(image: string): string {
  return image.replace(
    /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/u,
    (_, name: string) => initialArgs.get(name) ?? image,
  );
}

const stages: Stage[] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === 'FROM') {
    const from = dockerfile
      .getFROMs()
      .find((candidate) => candidate.getRange().start.line === instruction.getRange().start.line);
    assert.ok(from);
    stages.push({
      name: from.getBuildStage() ?? `#${stages.length}`,
      image: resolveImage(from.getImage() ?? ''),
      instructions: [],
    });
  } else {
    const stage = stages.at(-1);
    if (stage !== undefined) (stage.instructions as Instruction[]).push(instruction);
  }
}
const stageNames = new Set(stages.map((stage) => stage.name));
/** The images the manifests of `rampart export k8s` run. */
const TARGETS = ['mesh', 'identity', 'audit', 'gateway', 'sidecar', 'shop'] as const;
const RUNTIME = initialArgs.get('RUNTIME_IMAGE') ?? '';
const DIGEST = /@sha256:[a-f0-9]{64}$/u;

function keyword(stage: Stage, name: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.getKeyword() === name);
}

describe('Dockerfile: the rules hadolint and Trivy apply', () => {
  it('parses, with a stage for every image the manifests run', () => {
    for (const target of TARGETS) assert.ok(stageNames.has(target), target);
  });

  it('pins every external base by digest, never latest (DL3006, DL3007, DS001)', () => {
    for (const stage of stages) {
      if (stageNames.has(stage.image)) continue; // an earlier stage
      assert.match(stage.image, DIGEST, `${stage.name}: ${stage.image}`);
      assert.doesNotMatch(stage.image, /:latest@/u);
    }
  });

  it('builds each image the manifests run on the distroless Node 24 runtime: no shell, no package manager', () => {
    assert.match(RUNTIME, /^gcr\.io\/distroless\/nodejs24-debian12:nonroot@sha256:[a-f0-9]{64}$/u);
    for (const target of TARGETS) {
      assert.equal(stages.find((stage) => stage.name === target)?.image, RUNTIME, target);
      // No RUN can run without a shell; the final stages only copy.
      assert.deepEqual(keyword(stages.find((stage) => stage.name === target) as Stage, 'RUN'), [], target);
    }
  });

  it('ends every final stage on a non-root USER (DL3002, DS002)', () => {
    for (const target of TARGETS) {
      const users = keyword(stages.find((stage) => stage.name === target) as Stage, 'USER');
      const last = users.at(-1)?.getArgumentsContent() ?? '';
      assert.match(last, /^[1-9][0-9]*:[1-9][0-9]*$/u, `${target}: USER ${last}`);
    }
  });

  it('uses COPY, never ADD (DL3020, DS005)', () => {
    assert.equal(
      dockerfile.getInstructions().filter((instruction) => instruction.getKeyword() === 'ADD').length,
      0,
    );
  });

  it('copies only from stages defined before (DL3022, DL3023)', () => {
    stages.forEach((stage, index) => {
      for (const copy of keyword(stage, 'COPY')) {
        const from = /--from=([^\s]+)/u.exec(copy.getArgumentsContent() ?? '')?.[1];
        if (from === undefined) continue;
        assert.ok(
          stages.slice(0, index).some((earlier) => earlier.name === from),
          `${stage.name}: --from=${from}`,
        );
        assert.notEqual(from, stage.name);
      }
    });
  });

  it('has no duplicate stage names (DL3024) and absolute WORKDIRs (DL3000)', () => {
    assert.equal(stageNames.size, stages.length);
    for (const workdir of dockerfile
      .getInstructions()
      .filter((instruction) => instruction.getKeyword() === 'WORKDIR')) {
      assert.match(workdir.getArgumentsContent() ?? '', /^\//u);
    }
  });

  it('writes CMD and ENTRYPOINT in exec (JSON) form (DL3025)', () => {
    for (const instruction of [...dockerfile.getCMDs(), ...dockerfile.getENTRYPOINTs()]) {
      assert.match(instruction.getArgumentsContent() ?? '', /^\[.*\]$/u);
    }
  });

  it('has no HEALTHCHECK: Kubernetes probes the admin port', () => {
    assert.equal(dockerfile.getHEALTHCHECKs().length, 0);
  });

  it('puts no secret in ARG or ENV, and no credentials in a URL (DS031)', () => {
    for (const instruction of dockerfile.getInstructions()) {
      if (instruction.getKeyword() !== 'ARG' && instruction.getKeyword() !== 'ENV') continue;
      const content = instruction.getArgumentsContent() ?? '';
      assert.doesNotMatch(content, /(secret|passw|token|api_?key|private|credential|auth)/iu, content);
      assert.doesNotMatch(content, /:\/\/[^/\s]*:[^/\s]*@/u, content);
    }
  });

  it('runs no curl|sh, wget|sh, sudo, apt-get or unpinned npm install (DL4006, DL3004, DL3008, DL3016)', () => {
    for (const instruction of dockerfile.getInstructions()) {
      if (instruction.getKeyword() !== 'RUN') continue;
      const command = instruction.getArgumentsContent() ?? '';
      assert.doesNotMatch(command, /\b(curl|wget)\b[^|]*\|\s*(ba|z|da)?sh\b/u, command);
      assert.doesNotMatch(command, /\bsudo\b/u);
      assert.doesNotMatch(command, /\bapt(-get)?\b/u);
      assert.doesNotMatch(command, /\bnpm (install|i)\b/u, 'npm ci from the lockfile, not npm install');
    }
  });

  it('installs production dependencies only, from the lockfile, without install scripts', () => {
    const runs = dockerfile.getInstructions().filter((instruction) => instruction.getKeyword() === 'RUN');
    assert.ok(
      runs.some((run) => /\bnpm ci\b.*--omit=dev.*--ignore-scripts/u.test(run.getArgumentsContent() ?? '')),
    );
  });

  it('exposes no SSH port (DS004)', () => {
    for (const expose of dockerfile
      .getInstructions()
      .filter((instruction) => instruction.getKeyword() === 'EXPOSE')) {
      assert.doesNotMatch(expose.getArgumentsContent() ?? '', /\b22\b/u);
    }
  });

  it("copies every workspace's manifest before npm ci, so the lockfile's workspaces all resolve", () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
    const deps = stages.find((stage) => stage.name === 'deps');
    assert.ok(deps);
    const copied = keyword(deps, 'COPY').map((copy) => copy.getArgumentsContent() ?? '');
    for (const pattern of manifest.workspaces) {
      const parent = pattern.replace(/\/\*$/u, '');
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const file = `${parent}/${entry.name}/package.json`;
        assert.ok(
          copied.some((line) => line.startsWith(`${file} `)),
          `COPY ${file}`,
        );
      }
    }
  });
});

describe('.dockerignore keeps local state, secrets and tests out of the build context', () => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const pattern of [
    '**/node_modules',
    '**/.rampart',
    '**/.env',
    '**/*.pem',
    '**/*.key',
    '.git',
    '**/test',
  ]) {
    it(`ignores ${pattern}`, () => {
      assert.ok(ignored.includes(pattern));
    });
  }
});
