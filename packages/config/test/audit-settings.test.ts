import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { edit } from './helpers.ts';

function withAudit(audit: string): string {
  return edit(['name: shop', `name: shop\naudit:\n${audit}`]);
}

function codesOf(text: string): string[] {
  return parseConfig(text, 'rampart.yaml').problems.map((p) => `${p.code} ${String(p.line)}:${p.message}`);
}

const WEBHOOK_OK = `  alerts:
    webhook:
      url: https://siem.example/hooks/rampart
      secret: \${env:RAMPART_WEBHOOK_SECRET}
      minSeverity: high
`;
const WINDOW_OK = `  adminWindow: { days: [mon, tue, wed, thu, fri], from: '08:00', to: '18:00', timeZone: Europe/Paris }
`;

describe('audit.alerts.webhook, audit.rules, audit.adminWindow, logs in rampart.yaml', () => {
  it('accepts a webhook, a rules directory, a window and log rotation', () => {
    const text = `${withAudit(`${WEBHOOK_OK}${WINDOW_OK}  rules: { dir: ./rules, shipped: true }\n`)}logs: { maxSizeMb: 20, keep: 3 }\n`;
    const result = parseConfig(text, 'rampart.yaml');
    assert.deepEqual(result.problems, []);
    assert.ok(result.ok);
    assert.equal(result.config.audit?.alerts?.webhook?.minSeverity, 'high');
    assert.equal(result.config.logs?.keep, 3);
  });

  const refused: readonly [string, string, RegExp][] = [
    ['plain http', WEBHOOK_OK.replace('https://siem', 'http://siem'), /CFG_SCHEMA|CFG_INVALID/],
    ['http on loopback', WEBHOOK_OK.replace('https://siem.example', 'http://127.0.0.1:9000'), /CFG_/],
    ['a password in the URL', WEBHOOK_OK.replace('https://siem', 'https://user:pw@siem'), /CFG_/],
    [
      'an inline secret',
      WEBHOOK_OK.replace('${env:RAMPART_WEBHOOK_SECRET}', 'hunter2hunter2'),
      /CFG_INLINE_SECRET/,
    ],
    ['no secret', WEBHOOK_OK.replace(/ {6}secret: .*\n/, ''), /CFG_/],
    ['an unknown severity', WEBHOOK_OK.replace('minSeverity: high', 'minSeverity: urgent'), /CFG_/],
    [
      'an unknown time zone',
      WINDOW_OK.replace('Europe/Paris', 'Europe/Atlantis'),
      /CFG_INVALID_VALUE .*time zone/,
    ],
    [
      'a window ending before it starts',
      WINDOW_OK.replace("to: '18:00'", "to: '07:00'"),
      /CFG_INVALID_VALUE .*later than/,
    ],
    ['a time that is not HH:MM', WINDOW_OK.replace("'08:00'", "'8am'"), /CFG_/],
    ['a day that is not a weekday', WINDOW_OK.replace('mon,', 'monday,'), /CFG_/],
  ];
  for (const [name, audit, pattern] of refused) {
    it(`refuses ${name}`, () => {
      const problems = codesOf(withAudit(audit));
      assert.ok(
        problems.some((p) => pattern.test(p)),
        problems.join('\n'),
      );
      assert.ok(!problems.join('').includes('hunter2'), 'a message never echoes the value');
    });
  }
});
