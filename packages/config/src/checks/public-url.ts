import type { Finding } from '../problem.ts';
import { publicUrlProblem } from '../rules/public-url.ts';
import type { RampartConfig } from '../schema.ts';

/** CFG_PUBLIC_URL: `gateway.publicUrl` that is not an https origin ({@link publicUrlProblem}). */
export function checkPublicUrl(config: RampartConfig): Finding[] {
  const publicUrl = config.gateway?.publicUrl;
  if (publicUrl === undefined) return [];
  const problem = publicUrlProblem(publicUrl);
  if (problem === undefined) return [];
  return [
    {
      code: 'CFG_PUBLIC_URL',
      path: ['gateway', 'publicUrl'],
      anchor: 'value',
      message: `\`gateway.publicUrl\` ${problem}`,
      fix: 'write the origin alone, as https://host or https://host:port in lower case, e.g. https://api.example.com',
    },
  ];
}
