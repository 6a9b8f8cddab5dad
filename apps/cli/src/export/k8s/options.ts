import { parseImageReference, type RampartConfig } from '@rampart/config';

/** How `rampart export k8s` names the namespace and the images; everything else comes from rampart.yaml. */
export interface K8sExportOptions {
  /** The namespace every namespaced object lives in (a DNS-1123 label). */
  readonly namespace: string;
  /** Where the images are pushed: `<registry>/rampart-<component>` and `<registry>/<config name>`. */
  readonly imageRegistry: string;
  readonly imageTag: string;
  /** Digests to pin images by, keyed by image name (`rampart-gateway`, … or the config's name). */
  readonly digests: Readonly<Record<string, string>>;
  /** Where rampart.yaml's directory is in the application image (services' entries resolve from it). */
  readonly appDir: string;
  /**
   * The image of a sidecar service's process (`--app-image <service>=<ref>`), keyed by service: in
   * place of its `image` in rampart.yaml, e.g. the digest CI just pushed.
   */
  readonly appImages?: Readonly<Record<string, string>>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/u;
const REGISTRY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/u;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/u;
const DIGEST = /^sha256:[a-f0-9]{64}$/u;

/**
 * Checks the options, throwing a `TypeError` that names the option and the fix.
 *
 * @example
 * checkExportOptions({ namespace: 'rampart', imageRegistry: 'ghcr.io/acme', imageTag: '0.1.0', digests: {}, appDir: '/app' });
 */
export function checkExportOptions(options: K8sExportOptions): void {
  if (!DNS_LABEL.test(options.namespace)) {
    throw new TypeError(
      `--namespace ${JSON.stringify(options.namespace)} is not a DNS-1123 label (lower-case letters, digits, '-', at most 63)`,
    );
  }
  if (!REGISTRY.test(options.imageRegistry)) {
    throw new TypeError(
      `--image-registry ${JSON.stringify(options.imageRegistry)} is not a registry path such as ghcr.io/acme or registry.local:5000/team`,
    );
  }
  if (!TAG.test(options.imageTag)) {
    throw new TypeError(`--image-tag ${JSON.stringify(options.imageTag)} is not an image tag`);
  }
  for (const [image, digest] of Object.entries(options.digests)) {
    if (!DIGEST.test(digest)) {
      throw new TypeError(`--digest ${image}=…: a digest is sha256: and 64 lower-case hex digits`);
    }
  }
  for (const [service, image] of Object.entries(options.appImages ?? {})) {
    const parsed = parseImageReference(image);
    if (!parsed.ok) throw new TypeError(`--app-image ${service}=${JSON.stringify(image)} ${parsed.reason}`);
  }
  if (!options.appDir.startsWith('/')) {
    throw new TypeError(`--app-dir ${JSON.stringify(options.appDir)} must be an absolute path in the image`);
  }
}

/** `<registry>/<image>:<tag>`, with `@sha256:…` when a digest was given for it. */
export function imageReference(options: K8sExportOptions, image: string): string {
  const digest = options.digests[image];
  return `${options.imageRegistry}/${image}:${options.imageTag}${digest === undefined ? '' : `@${digest}`}`;
}

/**
 * The image of the process of a service behind the sidecar: `--app-image` for it, else its `image`
 * in rampart.yaml; undefined when neither names one (the export then leaves the service out).
 *
 * @example
 * appImageOf(config, { ...options, appImages: { reviews: 'ghcr.io/acme/reviews:1.4.2' } }, 'reviews');
 */
export function appImageOf(
  config: RampartConfig,
  options: K8sExportOptions,
  service: string,
): string | undefined {
  return options.appImages?.[service] ?? config.services[service]?.image;
}

/**
 * Checks that every `--app-image` names a service of rampart.yaml declared with `upstream`,
 * throwing a `TypeError` that names the fix.
 */
export function checkAppImageServices(config: RampartConfig, options: K8sExportOptions): void {
  for (const service of Object.keys(options.appImages ?? {})) {
    const declared = config.services[service];
    if (declared === undefined) {
      throw new TypeError(
        `--app-image ${service}=…: rampart.yaml has no service '${service}' (services: ${Object.keys(config.services).sort().join(', ')})`,
      );
    }
    if (declared.upstream === undefined) {
      throw new TypeError(
        `--app-image ${service}=…: '${service}' is built on @rampart/sdk (entry), which runs in the services' image; ` +
          '--app-image is for a service behind the sidecar (upstream)',
      );
    }
  }
}
