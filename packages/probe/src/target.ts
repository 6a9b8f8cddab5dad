import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A bearer credential on a request: the token, and the shell variable reproductions show instead. */
export interface Bearer {
  readonly token: string;
  readonly variable: string;
  /** Shell lines a reproduction needs first (how to make a forged token from `$TOKEN_A`). */
  readonly setup?: string;
}

export interface ProbeRequest {
  readonly method: string;
  /** The request target exactly as sent: `/orders/%2e%2e/x` is not normalized. */
  readonly path: string;
  readonly bearer?: Bearer;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface Exchange {
  readonly request: ProbeRequest;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface TargetOptions {
  /** PEM trust anchors for the target's certificate. */
  readonly ca?: string;
  /** Skip certificate verification (loud in the CLI). */
  readonly insecureSkipVerify?: boolean;
  /** Requests per second at most. */
  readonly rate: number;
  /** Requests in the whole run at most. */
  readonly maxRequests: number;
  readonly timeoutMs?: number;
}

/** The target did not answer (connection refused, TLS failure, timeout): the probe cannot run. */
export class TargetUnreachable extends Error {
  override readonly name = 'TargetUnreachable';
}

/** The run's request budget is spent; the checks left are skipped. */
export class BudgetExhausted extends Error {
  override readonly name = 'BudgetExhausted';
}

const MAX_BODY = 64 * 1024;

/**
 * The one gateway the probe may talk to (only its origin, never another host), at a bounded rate
 * and number of requests, over HTTPS/1.1 with the path sent byte for byte.
 */
export class Target {
  readonly url: URL;
  readonly options: TargetOptions;
  #agent: Agent;
  #sent = 0;
  #next = 0;

  constructor(url: URL, options: TargetOptions) {
    if (url.protocol !== 'https:') throw new TypeError(`the target must be https://, got ${url.protocol}`);
    this.url = url;
    this.options = options;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 4,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      rejectUnauthorized: options.insecureSkipVerify !== true,
    });
  }

  /** Requests sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** The TLS options a raw socket to the target needs (smuggling and TLS checks). */
  tlsOptions(): {
    host: string;
    port: number;
    servername?: string;
    ca?: string;
    rejectUnauthorized: boolean;
  } {
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    return {
      host,
      port: Number(this.url.port === '' ? 443 : this.url.port),
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
      ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
      rejectUnauthorized: this.options.insecureSkipVerify !== true,
    };
  }

  /** Waits for the rate limit and counts one request against the budget (raw-socket checks too). */
  async take(): Promise<void> {
    if (this.#sent >= this.options.maxRequests)
      throw new BudgetExhausted(`request budget of ${this.options.maxRequests} spent`);
    this.#sent += 1;
    const now = Date.now();
    const at = Math.max(now, this.#next);
    this.#next = at + 1000 / this.options.rate;
    if (at > now) await sleep(at - now);
  }

  async send(req: ProbeRequest): Promise<Exchange> {
    await this.take();
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.bearer !== undefined) headers['authorization'] = `Bearer ${req.bearer.token}`;
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const { host, port } = this.tlsOptions();
    return new Promise<Exchange>((resolve, reject) => {
      const outgoing = httpsRequest(
        {
          host,
          port,
          method: req.method,
          path: req.path,
          headers: { host: this.url.host, ...headers },
          agent: this.#agent,
          timeout: this.options.timeoutMs ?? 10_000,
          ...(this.tlsOptions().servername === undefined ? {} : { servername: this.url.hostname }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_BODY) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            resolve({
              request: req,
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
            });
          });
          res.on('error', (error) => {
            reject(new TargetUnreachable(`${this.url.origin}: ${error.message}`));
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within the timeout')));
      outgoing.on('error', (error) => {
        reject(new TargetUnreachable(`${this.url.origin}: ${error.message}`));
      });
      outgoing.end(req.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A header's value as one string (the first of a repeated field). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** True for a 2xx answer: the request was served. */
export function served(exchange: Pick<Exchange, 'status'>): boolean {
  return exchange.status >= 200 && exchange.status < 300;
}
