import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Principal } from '@rampart/sdk';
import { egressHeaders, forwardHeaders, responseHeaders, type VerifiedCaller } from '@rampart/sidecar';

const principal: Principal = Object.freeze({
  subject: 'alice',
  kind: 'user',
  scopes: ['reviews:read'],
  groups: ['staff', 'tea, coffee'],
  amr: ['pwd', 'otp'],
  actor: undefined,
});
const caller: VerifiedCaller = {
  callerSpiffeId: 'spiffe://shop.local/rampart/gateway',
  principal,
  proof: 'per-start-proof',
};
const OURS: Readonly<Record<string, string>> = {
  'x-rampart-caller': 'spiffe://shop.local/rampart/gateway',
  'x-rampart-subject': 'alice',
  'x-rampart-subject-kind': 'user',
  'x-rampart-scopes': 'reviews:read',
  'x-rampart-groups': 'staff,tea%2C%20coffee',
  'x-rampart-amr': 'pwd,otp',
  'x-rampart-sidecar': 'per-start-proof',
};

/** Any header name a client can send: tokens of RFC 9110, often x-rampart-*, in any case. */
const headerName = fc.oneof(
  fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/),
  fc
    .tuple(
      fc.constantFrom('x-rampart-', 'X-Rampart-', 'X-RAMPART-', 'x-RaMpArT-'),
      fc.oneof(
        fc.constantFrom(
          'subject',
          'caller',
          'scopes',
          'groups',
          'amr',
          'sidecar',
          'subject-kind',
          'egress-secret',
          '',
        ),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
      ),
    )
    .map(([prefix, rest]) => prefix + rest),
  fc.constantFrom(
    'connection',
    'Host',
    'Transfer-Encoding',
    'X-Forwarded-For',
    'forwarded',
    'content-length',
  ),
);
const rawHeaders = fc
  .array(fc.tuple(headerName, fc.string({ maxLength: 30 })), { maxLength: 20 })
  .map((pairs) => pairs.flat());

describe('forwardHeaders: what the process is told', () => {
  it('sets the verified identity and keeps end-to-end headers', () => {
    const headers = forwardHeaders(
      [
        'Accept',
        'application/json',
        'Authorization',
        'Bearer t',
        'X-Rampart-Subject',
        'root',
        'Cookie',
        'a',
        'cookie',
        'b',
      ],
      caller,
    );
    assert.deepEqual(headers, {
      accept: 'application/json',
      authorization: 'Bearer t',
      cookie: ['a', 'b'],
      ...OURS,
    });
  });

  it('drops hop-by-hop headers, those Connection names, and forwarded addresses', () => {
    const headers = forwardHeaders(
      [
        'Connection',
        'keep-alive, X-Secret-Hop',
        'X-Secret-Hop',
        '1',
        'Host',
        'evil',
        'X-Forwarded-For',
        '10.0.0.1',
        'Forwarded',
        'for=1',
        'TE',
        'trailers',
        'Keep',
        'me',
      ],
      caller,
    );
    assert.deepEqual(headers, { keep: 'me', ...OURS });
  });

  it('percent-encodes claims that could break a header', () => {
    const odd = forwardHeaders([], {
      ...caller,
      principal: { ...principal, subject: 'a b\r\nx-rampart-subject: root', scopes: ['ok', 'ü'] },
    });
    assert.equal(odd['x-rampart-subject'], 'a%20b%0D%0Ax-rampart-subject%3A%20root');
    assert.equal(odd['x-rampart-scopes'], 'ok %C3%BC');
  });

  it('never forwards a caller-supplied x-rampart-* header, hop-by-hop header or forwarded address (property)', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        const headers = forwardHeaders(raw, caller);
        for (const [name, value] of Object.entries(headers)) {
          assert.equal(name, name.toLowerCase());
          if (name.startsWith('x-rampart-')) assert.equal(value, OURS[name], name);
          assert.ok(
            !['connection', 'host', 'transfer-encoding', 'forwarded', 'content-length'].includes(name),
          );
          assert.ok(!name.startsWith('x-forwarded-'));
        }
        for (const [name, value] of Object.entries(OURS)) assert.equal(headers[name], value);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('egressHeaders and responseHeaders', () => {
  it('keeps the egress secret and the token away from the callee (property)', () => {
    fc.assert(
      fc.property(rawHeaders, fc.string(), (raw, secret) => {
        const headers = egressHeaders([
          ...raw,
          'X-Rampart-Egress-Secret',
          secret,
          'Authorization',
          'Bearer t',
        ]);
        assert.equal(
          Object.keys(headers).some((name) => name.startsWith('x-rampart-') || name === 'authorization'),
          false,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('passes an answer back without hop-by-hop headers', () => {
    assert.deepEqual(
      responseHeaders({
        'content-type': 'application/json',
        'content-length': '2',
        connection: 'close, x-hop',
        'x-hop': '1',
        'transfer-encoding': 'chunked',
      }),
      { 'content-type': 'application/json', 'content-length': '2' },
    );
  });
});
