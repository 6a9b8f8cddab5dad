import { parseAllDocuments } from 'yaml';
import type { K8sExport } from '../../src/export/k8s/export-k8s.ts';

/** A manifest as read back from the export's YAML. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** Every object of the export's manifest files (not the kustomization, rampart.yaml or secrets.md), with its file. */
export function manifestsOf(exported: K8sExport): { readonly file: string; readonly manifest: Manifest }[] {
  const found: { file: string; manifest: Manifest }[] = [];
  for (const [file, text] of exported.files) {
    if (!file.endsWith('.yaml') || file === 'kustomization.yaml' || file === 'rampart.yaml') continue;
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message ?? ''}`);
      const manifest = document.toJS() as Manifest | null;
      if (manifest !== null) found.push({ file, manifest });
    }
  }
  return found;
}
