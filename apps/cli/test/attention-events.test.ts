import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AttentionPrinter,
  attentionEventOf,
  formatAttention,
  needsAttention,
  type AttentionEvent,
} from '../src/up/attention-events.ts';

function logLine(securityEvent: Record<string, unknown>): unknown {
  return { level: 30, msg: securityEvent['event'], securityEvent };
}

const reuse: AttentionEvent = {
  time: '2026-12-07T09:41:03.123Z',
  component: 'identity',
  event: 'token.reuse_detected',
  subject: 'ps_abc',
  reason: 'refresh_token_reused',
};

describe('security events shown in the terminal of rampart up', () => {
  it('are token reuse, lockouts and admin changes; not the refusals scanners cause by the thousand', () => {
    for (const event of ['token.reuse_detected', 'login.locked_out', 'mfa.locked_out', 'admin.user_created'])
      assert.equal(needsAttention(event), true, event);
    for (const event of ['request.denied', 'login.failed', 'admin.denied', 'token.issued'])
      assert.equal(needsAttention(event), false, event);
  });

  it('carry time, component, event, the pseudonymous subject and the reason — nothing else', () => {
    const record = logLine({
      time: reuse.time,
      event: 'token.reuse_detected',
      service: 'identity',
      outcome: 'failure',
      reason: 'refresh_token_reused',
      subject: 'ps_abc',
      requestId: 'r1',
    });
    assert.deepEqual(attentionEventOf(record, 'identity'), reuse);
    assert.equal(
      formatAttention(reuse),
      '  ⚠ 09:41:03Z identity     token.reuse_detected subject ps_abc reason refresh_token_reused\n',
    );
    // A subject that is not a pseudonym never reaches the terminal.
    const raw = attentionEventOf(
      logLine({ event: 'login.locked_out', reason: 'x', subject: 'alice' }),
      'identity',
    );
    assert.equal(raw?.subject, undefined);
    assert.equal(attentionEventOf(logLine({ event: 'request.denied', reason: 'x' }), 'gateway'), undefined);
    assert.equal(attentionEventOf({ level: 30, msg: 'listening' }, 'gateway'), undefined);
  });

  it('show at most N lines of one event per window, then how many more there were', async () => {
    const lines: string[] = [];
    const printer = new AttentionPrinter((line) => lines.push(line), { perWindow: 3, windowMs: 200 });
    for (let i = 0; i < 50; i++) printer.print(reuse);
    printer.print({ ...reuse, event: 'login.locked_out' });
    assert.equal(lines.length, 4, 'three token.reuse_detected and the one lockout');
    await sleep(400);
    assert.equal(lines.at(-1), '  ⚠ … and 47 more token.reuse_detected in 0.2 s; every one is in the logs\n');
    // A new window shows lines again.
    printer.print(reuse);
    assert.equal(lines.length, 6);
    printer.close();
  });

  it("show the audit service's high and critical alerts, with a pseudonymous subject only", () => {
    const alert = {
      id: '7b0c6a8e-0000-4000-8000-000000000000',
      rule: 'brute-force-account',
      severity: 'high',
      title: 'Brute force on one account',
      time: '2026-12-07T14:01:48.000Z',
      group: { subject: 'ps_abc' },
      count: 10,
      evidence: [{ seq: 12, id: 'e12' }],
    };
    const shown = attentionEventOf({ level: 50, msg: 'alert brute-force-account', alert }, 'audit');
    assert.deepEqual(shown, {
      time: alert.time,
      component: 'audit',
      event: 'alert brute-force-account',
      reason: '',
      subject: 'ps_abc',
      detail: '[high] Brute force on one account (10)',
    });
    assert.equal(
      formatAttention(shown),
      '  ⚠ 14:01:48Z audit        alert brute-force-account subject ps_abc [high] Brute force on one account (10)\n',
    );
    const spraying = attentionEventOf(
      {
        level: 50,
        alert: {
          ...alert,
          rule: 'password-spraying',
          severity: 'critical',
          group: { sourceIp: '192.0.2.1' },
        },
      },
      'audit',
    );
    assert.equal(spraying?.subject, undefined, 'an address is not shown');
    assert.ok(!formatAttention(spraying ?? assert.fail()).includes('192.0.2.1'));
    for (const severity of ['medium', 'low'])
      assert.equal(
        attentionEventOf({ level: 40, alert: { ...alert, severity } }, 'audit'),
        undefined,
        severity,
      );
    // Only the audit service raises alerts: a service logging a client's `alert` field raises none.
    assert.equal(attentionEventOf({ level: 50, alert }, 'orders'), undefined);
  });
});
