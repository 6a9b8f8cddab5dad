import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CARD_NUMBER_MASK, createLogger, isLuhnValid, maskCardNumbers } from '@rampart/sdk';

function capture(redact: string[] = []) {
  const lines: string[] = [];
  const log = createLogger('test', { redact, destination: { write: (line: string) => lines.push(line) } });
  return { log, lines };
}

/** A Luhn-valid number of `length` digits built from a random body. */
const cardNumber = fc
  .tuple(
    fc.integer({ min: 13, max: 19 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
  )
  .map(([length, digits]) => {
    const body = digits.slice(0, length - 1).join('');
    for (let check = 0; check < 10; check += 1) {
      if (isLuhnValid(`${body}${check}`)) return `${body}${check}`;
    }
    throw new Error('unreachable: one check digit always fits');
  });
const text = fc.string({ maxLength: 30 }).map((s) => s.replace(/[0-9]/g, ''));

describe('createLogger redaction', () => {
  it('redacts authorization and cookie headers and secret keys', () => {
    const { log, lines } = capture(['email']);
    log.info(
      {
        req: { headers: { authorization: 'Bearer v4.public.abc', cookie: 'sid=abc' } },
        password: 'hunter2',
        user: { token: 't0k', secret: 's3c', email: 'a@example.com' },
        payment: { cardNumber: '4111111111111111' },
      },
      'hello',
    );
    const line = lines.join('');
    for (const leaked of [
      'v4.public.abc',
      'sid=abc',
      'hunter2',
      't0k',
      's3c',
      'a@example.com',
      '4111111111111111',
    ]) {
      assert.ok(!line.includes(leaked), `${leaked} leaked`);
    }
    assert.ok(line.includes('[redacted]'));
  });

  it('masks card numbers in messages and nested strings', () => {
    const { log, lines } = capture();
    log.info(
      { note: 'card 4111-1111-1111-1111 used', list: ['5500 0000 0000 0004'] },
      'paid with 4111111111111111',
    );
    const line = lines.join('');
    assert.ok(!/4111|5500 0000/.test(line), line);
    assert.ok(line.includes(CARD_NUMBER_MASK));
  });

  it('masks card numbers in serialized errors', () => {
    const { log, lines } = capture();
    log.error({ err: new Error('charge failed for 4111111111111111') }, 'failed');
    assert.ok(!lines.join('').includes('4111111111111111'));
    assert.ok(lines.join('').includes('charge failed for'));
  });

  it('keeps numbers that are not card numbers', () => {
    assert.equal(maskCardNumbers('order 1234567890123 total 42'), 'order 1234567890123 total 42');
  });

  it('property: no Luhn-valid card number survives in any text', () => {
    fc.assert(
      fc.property(text, cardNumber, text, fc.constantFrom('', ' ', '-'), (before, card, after, separator) => {
        const grouped = card.replace(/(\d{4})(?=\d)/g, `$1${separator}`);
        const masked = maskCardNumbers(`${before}${grouped}${after}`);
        return !masked.includes(grouped) && !masked.replace(/[ -]/g, '').includes(card);
      }),
    );
  });
});
