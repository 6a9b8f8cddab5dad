import fc from 'fast-check';
import { luhnDigits } from '../../src/log/patterns.ts';

/** A Luhn-valid card number of 13–19 digits, first digit 2–6 (ISO/IEC 7812 card industries). */
export const cardNumber = fc
  .tuple(
    fc.integer({ min: 2, max: 6 }),
    fc.integer({ min: 13, max: 19 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
  )
  .map(([first, length, digits]) => {
    const body = `${first}${digits.slice(0, length - 2).join('')}`;
    for (let check = 0; check < 10; check += 1) if (luhnDigits(`${body}${check}`)) return `${body}${check}`;
    throw new Error('unreachable: one check digit always fits');
  });

/** A card number as people write it: bare, or in groups of four separated by spaces or dashes. */
export const writtenCard = fc
  .tuple(cardNumber, fc.constantFrom('', ' ', '-'))
  .map(([digits, separator]) =>
    separator === '' ? digits : (digits.match(/.{1,4}/g) ?? []).join(separator),
  );

const base64url = fc.string({
  unit: fc.constantFrom(...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')),
  minLength: 8,
  maxLength: 60,
});

export const jwt = fc
  .tuple(fc.jsonValue(), base64url)
  .map(
    ([claims, signature]) =>
      `${Buffer.from('{"alg":"ES256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`,
  );

export const email = fc.emailAddress();

/** Any text, including every Unicode plane. */
export const anyText = fc.string({ unit: 'binary', maxLength: 40 });

/** Text with nothing a detector looks for: words, small numbers, ids, dates, versions, paths. */
export const benignText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'request',
        'completed',
        'in',
        'ms',
        'GET',
        '/orders/1234',
        'status',
        '200',
        '404',
        'port',
        '8443',
        'v1.2.3',
        '2.14.0-rc.1',
        '2024-01-15T10:20:30.123Z',
        '2024-01-15 10:20:30',
        '550e8400-e29b-41d4-a716-446655440000',
        'ord_8f3a2c',
        'ORD-2024-000123',
        '$12.99',
        '1,234.56',
        '10.0.0.7',
        '192.168.100.200:5432',
        '[::1]:8080',
        'élan',
        '日本語',
        '🙂',
        'tokens',
        'bypass',
        'keys',
        'HTTP/1.1',
        'took 1718000000000',
      ),
      fc.integer({ min: 0, max: 99_999 }).map((n) => `${n} ms`),
      fc.string({
        unit: fc.constantFrom(...Array.from('abcdefghijklmnopqrstuvwxyzÄäñ ,;!()')),
        maxLength: 12,
      }),
    ),
    { maxLength: 12 },
  )
  // Joined by commas: three bare numbers in a row (`555 123 4567`) read as a phone number.
  .map((words) => words.join(', '));
