import type { Dockerfile, From, Instruction } from 'dockerfile-ast';

/** One `FROM … [AS name]` and the instructions up to the next `FROM`. */
export interface Stage {
  readonly index: number;
  /** Its `AS` name, or its index as a string (`COPY --from=0`). */
  readonly name: string;
  readonly from: From;
  /** The image with the ARGs before the first FROM substituted (`FROM ${BASE}`). */
  readonly image: string;
  /** The stage of this file it is built on (`FROM deps`), if any. */
  readonly parent: Stage | undefined;
  readonly instructions: readonly Instruction[];
}

/**
 * The stages of a Dockerfile, in order. A stage is *final* when no other stage builds on it
 * (`FROM name`) or copies from it (`COPY --from=name`): with several targets in one file, each
 * target is final. `scratch` and images named by variables without a default are kept as written.
 */
export function dockerfileStages(dockerfile: Dockerfile): Stage[] {
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const value = property?.getValue();
    if (property !== null && value !== null && value !== undefined) {
      args.set(property.getName(), value);
    }
  }
  const stages: Stage[] = [];
  let current: { stage: Stage; instructions: Instruction[] } | undefined;
  const froms = dockerfile.getFROMs();
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = froms.find((f) => f.getRange().start.line === instruction.getRange().start.line);
      if (from === undefined) continue;
      const image = substitute(from.getImage() ?? '', args);
      const instructions: Instruction[] = [];
      const stage: Stage = {
        index: stages.length,
        name: from.getBuildStage() ?? String(stages.length),
        from,
        image,
        parent: stages.find((s) => s.name === image),
        instructions,
      };
      stages.push(stage);
      current = { stage, instructions };
    } else {
      current?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The stages no other stage builds on or copies from: what `docker build` ships. */
export function finalStages(stages: readonly Stage[]): Stage[] {
  const used = new Set<string>();
  for (const stage of stages) {
    if (stage.parent !== undefined) used.add(stage.parent.name);
    for (const instruction of stage.instructions) {
      const text = instruction.getTextContent(); // flags are not in the arguments
      for (const match of text.matchAll(/--from=([^\s]+)/gu)) used.add(match[1] ?? '');
      for (const match of text.matchAll(/--mount=[^\s]*\bfrom=([^\s,]+)/gu)) used.add(match[1] ?? '');
    }
  }
  return stages.filter((stage) => !used.has(stage.name));
}

/** The stage and the stages of this file it is built on, nearest last. */
export function stageChain(stage: Stage): Stage[] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage; s !== undefined; s = s.parent) chain.unshift(s);
  return chain;
}

function substitute(image: string, args: ReadonlyMap<string, string>): string {
  return image.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/gu,
    (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) =>
      args.get(braced ?? bare ?? '') ?? fallback ?? whole,
  );
}
