import { DEFAULT_PORTS, type PlatformPorts } from '@rampart/config';
import { freePorts } from './up-process.ts';

/**
 * A free port for every platform listener rampart.yaml's `ports` names (every key of
 * `DEFAULT_PORTS`, so a new component's ports are covered as it is added), plus `extra` more for
 * services: tests never collide with each other or with `npm start`.
 *
 * @example
 * const { platform, extra: [orders, ordersAdmin] } = await freePlatformPorts(2);
 * writeConfig(dir, `version: 1\nname: t\n${portsYaml(platform)}\nservices: …`);
 */
export async function freePlatformPorts(
  extra = 0,
): Promise<{ readonly platform: PlatformPorts; readonly extra: readonly number[] }> {
  const keys = Object.keys(DEFAULT_PORTS) as (keyof PlatformPorts)[];
  const ports = await freePorts(keys.length + extra);
  const platform = Object.fromEntries(keys.map((key, index) => [key, ports[index]])) as PlatformPorts;
  return { platform, extra: ports.slice(keys.length) };
}

/** `ports: { gateway: …, admin: …, … }`, one YAML line. */
export function portsYaml(ports: PlatformPorts): string {
  return `ports: { ${Object.entries(ports)
    .map(([key, port]) => `${key}: ${port}`)
    .join(', ')} }`;
}
