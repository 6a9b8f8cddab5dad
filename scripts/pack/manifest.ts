/** The fields of a workspace's package.json the pack step reads. */
export interface SourceManifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly private?: boolean;
  readonly type?: string;
  readonly exports?: Readonly<Record<string, string | null>>;
  readonly bin?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** An export of the published package: the compiled module and its declarations. */
export interface PublishedExport {
  readonly types: string;
  readonly default: string;
}

/** The package.json of a staged, publish-ready package. */
export interface PublishManifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly license: string;
  readonly type: 'module';
  readonly engines: { readonly node: string };
  readonly exports?: Readonly<Record<string, PublishedExport | null>>;
  readonly bin?: Readonly<Record<string, string>>;
  readonly files: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly publishConfig: { readonly access: 'public' };
}

export interface ManifestContext {
  /** The version of every published workspace, by name: internal dependencies are pinned to it. */
  readonly versions: ReadonlyMap<string, string>;
  /** The repository's `engines.node`: the Node versions Rampart is tested on. */
  readonly node: string;
  readonly license: string;
  /** What the package ships (`files`): its code and asset directories, and its README. */
  readonly files: readonly string[];
  /** Its code directories: every export and bin must point into one. */
  readonly code: readonly string[];
}

/**
 * The publish-ready package.json of a workspace: exports and bins point at the compiled `.js` (with
 * `types` beside it), internal dependencies are pinned to the exact version packed with it, and
 * development-only fields (`private`, devDependencies, test-only exports such as `./testing`) are
 * left out.
 *
 * @throws TypeError when it depends on an unpublished workspace or exports something it does not ship.
 * @example
 * publishManifest(JSON.parse(readFileSync('packages/sdk/package.json', 'utf8')), context);
 */
export function publishManifest(source: SourceManifest, context: ManifestContext): PublishManifest {
  if (source.type !== 'module') throw new TypeError(`${source.name}: expected "type": "module"`);
  const exports = source.exports === undefined ? undefined : publishedExports(source, context.code);
  const bin =
    source.bin === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(source.bin).map(([name, target]) => [
            name,
            compiled(source.name, target, context.code),
          ]),
        );
  const dependencies =
    source.dependencies === undefined ? undefined : pinnedDependencies(source, context.versions);
  return {
    name: source.name,
    version: source.version,
    ...(source.description === undefined ? {} : { description: source.description }),
    license: context.license,
    type: 'module',
    engines: { node: context.node },
    ...(exports === undefined ? {} : { exports }),
    ...(bin === undefined ? {} : { bin }),
    files: context.files,
    ...(dependencies === undefined ? {} : { dependencies }),
    publishConfig: { access: 'public' },
  };
}

function publishedExports(
  source: SourceManifest,
  code: readonly string[],
): Record<string, PublishedExport | null> {
  const result: Record<string, PublishedExport | null> = {};
  for (const [subpath, target] of Object.entries(source.exports ?? {})) {
    if (target === null) {
      result[subpath] = null;
      continue;
    }
    // Test support (`./testing` → `./test/support/…`) stays in the repository.
    if (target.startsWith('./test/')) continue;
    const js = compiled(source.name, target, code);
    result[subpath] = { types: js.replace(/\.js$/u, '.d.ts'), default: js };
  }
  return result;
}

/** `./src/index.ts` → `./src/index.js`, checking that it is compiled code the package ships. */
function compiled(name: string, target: string, code: readonly string[]): string {
  const inCode = code.some((dir) => target.startsWith(`./${dir}/`));
  if (!inCode || !target.endsWith('.ts') || target.endsWith('.d.ts')) {
    throw new TypeError(`${name}: ${target} is not a TypeScript module under ${code.join(', ')}`);
  }
  return target.replace(/\.ts$/u, '.js');
}

function pinnedDependencies(
  source: SourceManifest,
  versions: ReadonlyMap<string, string>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, range] of Object.entries(source.dependencies ?? {})) {
    if (!name.startsWith('@rampart/')) {
      result[name] = range;
      continue;
    }
    const version = versions.get(name);
    if (version === undefined) {
      throw new TypeError(
        `${source.name} depends on ${name}, which is not published (scripts/pack/publishable.ts)`,
      );
    }
    result[name] = version;
  }
  return result;
}
