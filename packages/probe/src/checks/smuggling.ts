import { connect, type ConnectionOptions } from 'node:tls';
import { report, type ProbeContext } from '../context.ts';
import type { Exchange } from '../target.ts';

/** Ambiguous framings (RFC 9112 §6): each must be refused with 400 and the connection closed. */
const SHAPES: [string, string[], string][] = [
  ['cl-te', ['Content-Length: 4', 'Transfer-Encoding: chunked'], '0\r\n\r\n'],
  ['te-cl', ['Transfer-Encoding: chunked', 'Content-Length: 4'], '0\r\n\r\n'],
  ['te-duplicated', ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], '0\r\n\r\n'],
  ['te-obfuscated-value', ['Transfer-Encoding: xchunked'], '0\r\n\r\n'],
  ['te-space-before-colon', ['Transfer-Encoding : chunked'], '0\r\n\r\n'],
  ['te-list', ['Transfer-Encoding: chunked, identity'], '0\r\n\r\n'],
  ['cl-duplicated', ['Content-Length: 4', 'Content-Length: 5'], 'abcd'],
];

interface RawAnswer {
  /** The status of the first answer, or 0 for none. */
  readonly status: number;
  readonly head: string;
  /** True when the server closed the connection within a moment of answering. */
  readonly closed: boolean;
}

function rawExchange(options: ConnectionOptions, request: string): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const socket = connect({ ...options, ALPNProtocols: ['http/1.1'] }, () => {
      socket.write(request);
    });
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, head: data.split('\r\n\r\n')[0]?.slice(0, 300) ?? '', closed });
    };
    // After an answer, the connection must close at once; 2 s of silence means it stayed open.
    const timer = setTimeout(() => {
      finish(false);
    }, 3000);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
    });
    socket.on('end', () => {
      finish(true);
    });
    socket.on('close', () => {
      finish(true);
    });
    socket.on('error', () => {
      finish(true);
    });
  });
}

/**
 * Request smuggling shapes over a raw TLS socket (HTTP/1.1): CL+TE, TE+CL, duplicated and
 * obfuscated Transfer-Encoding, duplicated Content-Length. Right is a 4xx and a closed connection;
 * a 2xx/3xx/404 means the request was framed one way and routed, a kept connection that the rest
 * could be read from as a next request.
 */
export async function checkSmuggling(ctx: ProbeContext): Promise<void> {
  ctx.progress('framing: request smuggling shapes');
  const tls = ctx.target.tlsOptions();
  const host = ctx.target.url.host;
  for (const [variant, fields, body] of SHAPES) {
    await ctx.target.take();
    const request = `GET /rampart-probe-smuggling HTTP/1.1\r\nHost: ${host}\r\n${fields.join('\r\n')}\r\n\r\n${body}`;
    const answer = await rawExchange(tls, request);
    if (answer.status === 0 && answer.closed) continue;
    const refused = answer.status >= 400 && answer.status < 500 && answer.status !== 404;
    if (refused && answer.closed) continue;
    const exchange: Exchange = {
      request: { method: 'GET', path: '/rampart-probe-smuggling' },
      status: answer.status,
      headers: {},
      body: '',
    };
    const printable = request.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
    report(ctx, 'probe/http-request-smuggling', exchange, {
      variant,
      message: refused
        ? `The ${variant} request was refused (${answer.status}) but the connection was kept open.`
        : `The ${variant} request was answered ${answer.status === 0 ? 'with nothing, the connection left open' : answer.status} instead of 400 and a closed connection.`,
      evidence: {
        request: request.trimEnd(),
        response: `${answer.head}\n(connection ${answer.closed ? 'closed' : 'kept open'})`,
      },
      reproduction: `printf '${printable}' | openssl s_client -quiet -connect ${tls.host}:${tls.port}${tls.servername === undefined ? '' : ` -servername ${tls.servername}`}${ctx.curlTls.startsWith('--cacert') ? ` -CAfile ${ctx.curlTls.slice('--cacert '.length)}` : ''}`,
    });
  }
}
