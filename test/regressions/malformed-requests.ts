// Generators of hostile input for the gateway's listener, below any HTTP client library: raw
// HTTP/1.1 request bytes, and raw HTTP/2 frames (with header blocks HPACK-encoded by hand, so any
// pseudo-header, name or value can be sent — node's client would refuse most of them).
import fc from 'fast-check';
import { frame, hpackLiterals, HTTP2_PREFACE } from '@rampart/testing';

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PRI',
  'get',
];
const TARGETS = [
  '/catalog',
  '/orders/1',
  '/auth/token',
  '*',
  '',
  'http://x/catalog',
  '//catalog',
  '/catalog?a=1&a=2',
  '/%2e%2e/catalog',
  '/catalog/..;/orders',
  '/catalog%00',
  '/\\catalog',
  '/%ff%fe',
];
const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/2.0',
  'HTTP/0.9',
  'HTTP/1.2',
  'HTTP/3',
  'http/1.1',
  'HTTP/1.1 x',
  '',
];
const HEADER_NAMES = [
  'host',
  'content-length',
  'transfer-encoding',
  'authorization',
  'dpop',
  'expect',
  'upgrade',
  'connection',
  'http2-settings',
  'cookie',
  'x-forwarded-for',
  'origin',
  'access-control-request-method',
  'content-type',
  'traceparent',
  'tracestate',
  'te',
  'keep-alive',
  'range',
  'if-none-match',
  'x-rampart-user',
  ':path',
  'Host',
  'content_length',
];
const HEADER_VALUES = [
  '',
  '0',
  '-1',
  '1',
  '99999999999999999999',
  'chunked',
  'chunked, identity',
  '100-continue',
  'h2c',
  'websocket',
  'close',
  'keep-alive, Upgrade',
  'Bearer ',
  'Bearer x',
  'Bearer a.b.c',
  'DPoP eyJhbGciOiJub25lIn0.e30.',
  'Basic Og==',
  'application/json',
  'application/json; charset=utf-16',
  '00-00000000000000000000000000000000-0000000000000000-01',
  '127.0.0.1, ::1, x',
  'https://evil.example',
  '\u00ff\u00fe',
];

/** A string that may hold any byte (as a latin1 character), control characters included. */
/** `null` five times out of six, else a value of `arbitrary`. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, arbitrary);
const bytes = (maxLength: number) => fc.string({ unit: 'binary-ascii', maxLength });
const anyText = (maxLength: number) =>
  fc.oneof(bytes(maxLength), fc.string({ unit: 'binary', maxLength }), fc.string({ maxLength }));

/** Names a well-formed request may carry once, each with any of the values above. */
const PLAIN_NAMES = [
  'authorization',
  'dpop',
  'cookie',
  'x-forwarded-for',
  'origin',
  'content-type',
  'traceparent',
  'tracestate',
  'range',
  'if-none-match',
  'x-rampart-user',
];
const header = fc.tuple(fc.constantFrom(...PLAIN_NAMES), fc.constantFrom(...HEADER_VALUES));
const oddHeader = fc.oneof(
  fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.constantFrom(...HEADER_VALUES)),
  fc.tuple(fc.constantFrom(...HEADER_NAMES), anyText(80)),
  fc.tuple(anyText(20), fc.constantFrom(...HEADER_VALUES)),
  fc.tuple(anyText(20), anyText(80)),
);

interface Http1Request {
  method: string;
  target: string;
  version: string;
  headers: (readonly [string, string])[];
  eol: string;
  body: string;
}

/** One change that makes a well-formed request less so. */
const http1Mutation: fc.Arbitrary<(request: Http1Request) => void> = fc.oneof(
  anyText(12).map((text) => (r: Http1Request) => void (r.method = text)),
  anyText(60).map((text) => (r: Http1Request) => void (r.target += text)),
  fc
    .oneof(fc.constantFrom(...VERSIONS), anyText(12))
    .map((text) => (r: Http1Request) => void (r.version = text)),
  oddHeader.map((field) => (r: Http1Request) => void r.headers.push(field)),
  fc.constantFrom('\n', '\r', '\r\r\n').map((eol) => (r: Http1Request) => void (r.eol = eol)),
  anyText(200).map((text) => (r: Http1Request) => void (r.body += text)),
  fc.constant((r: Http1Request) => void r.headers.splice(0, 1)),
  fc.constant((r: Http1Request) => void (r.body += 'GET /catalog HTTP/1.1\r\nhost: x\r\n\r\n')),
);

/**
 * One HTTP/1.1 connection's bytes: a well-formed request (method, target, `HTTP/1.1`, a host and
 * a few header fields) with up to three mutations — a method, target, version or header field of
 * any bytes, lone `\n`/`\r` line ends, a body, a second request behind it (smuggling shapes).
 * Many stay close enough to well-formed to reach the pipeline, not only llhttp.
 */
export const http1Bytes: fc.Arbitrary<Buffer> = fc
  .record({
    method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('GET', 'POST') }, fc.constantFrom(...METHODS)),
    target: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('/catalog', '/orders/1') },
      fc.constantFrom(...TARGETS),
    ),
    headers: fc.uniqueArray(header, { maxLength: 4, selector: ([name]) => name }),
    body: fc.constantFrom('', '{}', '[]', '5\r\nhello\r\n0\r\n\r\n'),
    mutations: fc.array(http1Mutation, { maxLength: 3 }),
  })
  .map(({ method, target, headers, body, mutations }) => {
    const framing: readonly (readonly [string, string])[] =
      body === ''
        ? []
        : body.endsWith('\r\n\r\n')
          ? [['transfer-encoding', 'chunked']]
          : [['content-length', String(body.length)]];
    const request: Http1Request = {
      method,
      target,
      version: 'HTTP/1.1',
      headers: [['host', '127.0.0.1'], ...framing, ...headers],
      eol: '\r\n',
      body,
    };
    for (const mutate of mutations) mutate(request);
    const { eol } = request;
    const head = [
      `${request.method} ${request.target} ${request.version}`,
      ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ].join(eol);
    return Buffer.from(`${head}${eol}${eol}${request.body}`, 'latin1');
  });

const END_STREAM = 0x1;
const END_HEADERS = 0x4;

const pseudo = fc.oneof(
  fc.tuple(fc.constant(':method'), fc.oneof(fc.constantFrom(...METHODS), anyText(10))),
  fc.tuple(fc.constant(':path'), fc.oneof(fc.constantFrom(...TARGETS), anyText(60))),
  fc.tuple(fc.constant(':scheme'), fc.oneof(fc.constantFrom('https', 'http', ''), anyText(8))),
  fc.tuple(
    fc.constant(':authority'),
    fc.oneof(fc.constantFrom('127.0.0.1', 'evil.example', ''), anyText(30)),
  ),
  fc.tuple(fc.constantFrom(':protocol', ':status', ':unknown', ':PATH'), anyText(10)),
);
/**
 * A request's header list: the four pseudo-headers of a plausible request (each possibly dropped),
 * header fields from the usual list, and up to two of anything (another pseudo-header, any name
 * or value).
 */
const h2Fields = fc
  .record({
    method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('GET', 'POST') }, fc.constantFrom(...METHODS)),
    path: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('/catalog', '/orders/1') },
      fc.constantFrom(...TARGETS),
    ),
    drop: rarely(fc.integer({ min: 0, max: 3 })),
    headers: fc.uniqueArray(header, { maxLength: 4, selector: ([name]) => name }),
    odd: fc.array(fc.oneof(pseudo, oddHeader), { maxLength: 2 }),
  })
  .map(({ method, path, drop, headers, odd }) => {
    const pseudoFields: (readonly [string, string])[] = [
      [':method', method],
      [':path', path],
      [':scheme', 'https'],
      [':authority', '127.0.0.1'],
    ];
    if (drop !== null) pseudoFields.splice(drop, 1);
    return [
      ...pseudoFields,
      ...headers.filter(([name]) => name !== 'Host' && name !== 'content_length'),
      ...odd,
    ];
  });
const oddStream = fc.oneof(
  fc.constantFrom(0, 2, 0x7fffffff, 0x80000001),
  fc.integer({ min: 0, max: 0xffffffff }),
);

/** A frame of any type, flags, stream and payload, or one whose length field lies. */
const anyFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 10 }),
      fc.integer({ min: 0, max: 255 }),
      fc.oneof(fc.constantFrom(1, 3), oddStream),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([type, flags, stream, payload]) => frame(type, flags, stream, Buffer.from(payload))),
  fc
    .tuple(
      fc.integer({ min: 0, max: 10 }),
      fc.integer({ min: 0, max: 0xffffff }),
      fc.uint8Array({ maxLength: 32 }),
    )
    .map(([type, length, payload]) => {
      const head = Buffer.alloc(9);
      head.writeUIntBE(length, 0, 3);
      head.writeUInt8(type, 3);
      head.writeUInt32BE(1, 5);
      return Buffer.concat([head, Buffer.from(payload)]);
    }),
);

/**
 * A request on stream 1 (sometimes another stream, sometimes without END_STREAM or END_HEADERS),
 * its body as DATA frames when the block leaves the stream open.
 */
const h2Request: fc.Arbitrary<Buffer> = fc
  .tuple(
    h2Fields,
    rarely(fc.constantFrom(END_HEADERS, END_STREAM, 0, 0xff)),
    rarely(oddStream),
    fc.constantFrom('', '{}', 'x'.repeat(100)),
  )
  .map(([fields, flags, stream, body]) => {
    const headerFlags = flags ?? (body === '' ? END_STREAM | END_HEADERS : END_HEADERS);
    const id = stream ?? 1;
    const data = body === '' ? [] : [frame(0x0, END_STREAM, id, Buffer.from(body, 'latin1'))];
    return Buffer.concat([frame(0x1, headerFlags, id, hpackLiterals(fields)), ...data]);
  });

/**
 * One HTTP/2 connection's bytes after ALPN `h2`: the preface (sometimes broken), an empty SETTINGS,
 * a request (mostly), then up to four frames of anything.
 */
export const http2Bytes: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.oneof(
      { weight: 19, arbitrary: fc.constant(HTTP2_PREFACE) },
      bytes(24).map((text) => Buffer.from(text, 'latin1')),
    ),
    fc.option(h2Request, { freq: 8 }),
    fc.array(fc.oneof(anyFrame, h2Request), { maxLength: 4 }),
  )
  .map(([preface, request, frames]) =>
    Buffer.concat([
      preface,
      frame(0x4, 0, 0, Buffer.alloc(0)),
      ...(request === null ? [] : [request]),
      ...frames,
    ]),
  );
