import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '@rampart/testing';

/** One request as the test receiver got it: the raw body, exactly as sent. */
export interface Received {
  readonly at: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** What the receiver answers the n-th request (1-based): a status and headers, or `'hang'`. */
export type Answer = { readonly status: number; readonly headers?: Record<string, string> } | 'hang';

/**
 * A real HTTPS webhook receiver on 127.0.0.1 with a self-signed certificate (`ca` trusts it):
 * it records every request and answers as `answer` says.
 */
export class TestReceiver {
  readonly received: Received[] = [];
  readonly ca: string;
  answer: (n: number) => Answer = () => ({ status: 204 });
  readonly #server: Server;

  private constructor(server: Server, ca: string) {
    this.#server = server;
    this.ca = ca;
  }

  static async start(dir: string): Promise<TestReceiver> {
    const { key, cert } = selfSignedCertificate(dir, '127.0.0.1', 'receiver');
    const server = createServer({ key, cert });
    const receiver = new TestReceiver(server, cert);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver.received.push({
          at: Date.now(),
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = receiver.answer(receiver.received.length);
        if (answer === 'hang') return; // never answers: the sender's timeout must end it
        res.writeHead(answer.status, answer.headers).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  /** `https://127.0.0.1:<port><path>`. */
  url(path = '/hooks/rampart'): string {
    return `https://127.0.0.1:${String((this.#server.address() as AddressInfo).port)}${path}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close').catch(() => undefined);
  }
}
