/** What the gateway tells the page at `/console/config.json` (apps/console/server `consoleSettings`). */
export interface ConsoleSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly resource: string;
  readonly adminApi: string;
  readonly auditApi: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
}

const KEYS = [
  'issuer',
  'clientId',
  'resource',
  'adminApi',
  'auditApi',
  'redirectUri',
  'postLogoutRedirectUri',
] as const satisfies readonly (keyof ConsoleSettings)[];

/** Reads the settings the gateway serves beside the page; throws when one is missing. */
export async function loadSettings(): Promise<ConsoleSettings> {
  const res = await fetch('/console/config.json', { credentials: 'omit' });
  if (!res.ok) throw new Error(`the console's settings could not be read (HTTP ${res.status})`);
  const body: unknown = await res.json();
  if (typeof body !== 'object' || body === null) throw new Error("the console's settings are not an object");
  const record = body as Record<string, unknown>;
  const settings: Record<string, string> = {};
  for (const key of KEYS) {
    const value = record[key];
    if (typeof value !== 'string') throw new Error(`the console's settings lack ${key}`);
    settings[key] = value;
  }
  return settings as unknown as ConsoleSettings;
}
