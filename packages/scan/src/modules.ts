import { codeModule } from './code/code-module.ts';
import { configModule } from './config/config-module.ts';
import { depsModule } from './deps/deps-module.ts';
import { dockerfileModule } from './dockerfile/dockerfile-module.ts';
import { kubernetesModule } from './kubernetes/kubernetes-module.ts';
import type { ScanModule } from './scan-module.ts';
import { secretsModule } from './secrets/secrets-module.ts';

/** Every module, in the order they run and report. */
export const SCAN_MODULES: readonly ScanModule[] = [
  dockerfileModule,
  kubernetesModule,
  configModule,
  secretsModule,
  depsModule,
  codeModule,
];

export function moduleById(id: string): ScanModule | undefined {
  return SCAN_MODULES.find((module) => module.id === id);
}
