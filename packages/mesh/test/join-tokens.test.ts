import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { JoinTokens, createJoinToken } from '@rampart/mesh';

const orders = 'spiffe://shop.local/service/orders';

describe('join tokens', () => {
  it('creates 256-bit base64url tokens with their SHA-256', () => {
    const { token, sha256 } = createJoinToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(sha256, createHash('sha256').update(token).digest('hex'));
    assert.notEqual(createJoinToken().token, token);
  });

  it('redeems a token once, for the ID it is bound to', () => {
    const tokens = new JoinTokens();
    const { token, sha256 } = createJoinToken();
    tokens.add(orders, sha256, Date.now() + 60_000);
    assert.equal(tokens.redeem(token), orders);
    assert.equal(tokens.redeem(token), null);
  });

  const refused: [string, (tokens: JoinTokens, clock: { now: number }) => unknown][] = [
    ['a wrong token', (tokens) => tokens.redeem(createJoinToken().token)],
    [
      'an expired token',
      (tokens, clock) => {
        const { token, sha256 } = createJoinToken();
        tokens.add(orders, sha256, clock.now + 1000);
        clock.now += 1000;
        return tokens.redeem(token);
      },
    ],
    [
      'a reused token',
      (tokens, clock) => {
        const { token, sha256 } = createJoinToken();
        tokens.add(orders, sha256, clock.now + 1000);
        tokens.redeem(token);
        return tokens.redeem(token);
      },
    ],
    ['the digest itself', (tokens) => tokens.redeem(createJoinToken().sha256)],
    ['an empty token', (tokens) => tokens.redeem('')],
    ['an oversized token', (tokens) => tokens.redeem('a'.repeat(10_000))],
    ['a non-string', (tokens) => tokens.redeem({ token: 'x' })],
  ];
  for (const [name, attempt] of refused) {
    it(`refuses ${name}`, () => {
      const clock = { now: 1_000_000 };
      const tokens = new JoinTokens({ now: () => clock.now });
      const other = createJoinToken();
      tokens.add(orders, other.sha256, clock.now + 60_000);
      assert.equal(attempt(tokens, clock), null);
    });
  }

  it('an expired token is consumed too', () => {
    let now = 0;
    const tokens = new JoinTokens({ now: () => now });
    const { token, sha256 } = createJoinToken();
    tokens.add(orders, sha256, 10);
    now = 11;
    assert.equal(tokens.redeem(token), null);
    assert.equal(tokens.size, 0);
  });

  it('bounds the pending tokens, dropping expired ones first', () => {
    let now = 0;
    const tokens = new JoinTokens({ maxPending: 2, now: () => now });
    tokens.add(orders, createJoinToken().sha256, 10);
    tokens.add(orders, createJoinToken().sha256, 100);
    assert.throws(() => {
      tokens.add(orders, createJoinToken().sha256, 100);
    }, RangeError);
    now = 20;
    tokens.add(orders, createJoinToken().sha256, 100);
    assert.equal(tokens.size, 2);
  });

  it('rejects malformed registrations', () => {
    const tokens = new JoinTokens();
    assert.throws(() => {
      tokens.add('orders', createJoinToken().sha256, Date.now());
    }, TypeError);
    assert.throws(() => {
      tokens.add(orders, 'abc', Date.now());
    }, TypeError);
    assert.throws(() => {
      tokens.add(orders, createJoinToken().sha256, new Date(Number.NaN));
    }, TypeError);
  });
});
