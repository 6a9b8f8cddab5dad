import assert from 'node:assert/strict';
import type { FetchLike } from './fetch-with.ts';

/** Where a {@link TestBrowser} goes: the URL relative addresses resolve against, and its `fetch`. */
export interface BrowserSite {
  /** The base URL (an OIDC issuer, say); its origin is the browser's page origin. */
  readonly issuer: string;
  /** A `fetch` trusting the site's CA (see `fetchWith`). */
  readonly fetch: FetchLike;
}

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/**
 * A minimal browser over a trusting fetch: a cookie jar honouring `Path` (oidc-provider scopes its
 * interaction cookies by path), redirects followed by hand, and the `Origin` and `Sec-Fetch-Site`
 * headers a real browser sends on form posts. No JavaScript runs: pages are HTML text (for a real
 * browser, see `launchChromium`).
 *
 * @example
 * const browser = new TestBrowser({ issuer, fetch: fetchWith(agent) });
 * const page = await browser.visit(authorizationUrl);
 */
export class TestBrowser {
  readonly #h: BrowserSite;
  readonly #cookies = new Map<string, StoredCookie>();
  /** `X-Forwarded-For` to send (the client address a server such as identity counts attempts under). */
  ip: string | undefined;

  constructor(h: BrowserSite, ip?: string) {
    this.#h = h;
    this.ip = ip;
  }

  get origin(): string {
    return new URL(this.#h.issuer).origin;
  }

  /** One request, no redirect followed; cookies sent and stored. */
  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const target = new URL(url, this.#h.issuer);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target.pathname);
    if (cookie !== '') headers['cookie'] = cookie;
    if (this.ip !== undefined) headers['x-forwarded-for'] = this.ip;
    const res = await this.#h.fetch(target.href, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    for (const line of res.headers.getSetCookie()) this.#store(line);
    return res;
  }

  /** GET `url` and follow redirects inside the site; stops at a page or on leaving the site's origin. */
  async visit(url: string): Promise<Page> {
    let res = await this.request(url);
    let current = new URL(url, this.#h.issuer).href;
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops += 1) {
      const location = res.headers.get('location');
      assert.ok(location !== null, 'a redirect has a Location');
      current = new URL(location, current).href;
      if (new URL(current).origin !== this.origin)
        return { status: res.status, url: current, html: '', headers: res.headers };
      res = await this.request(current);
    }
    return { status: res.status, url: current, html: await res.text(), headers: res.headers };
  }

  /** Posts a form the way a browser does from a page of this origin, then follows the redirects. */
  async submit(
    action: string,
    fields: Record<string, string>,
    options: { headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const res = await this.post(action, fields, options);
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location') ?? '';
      const next = new URL(location, new URL(action, this.#h.issuer)).href;
      if (new URL(next).origin !== this.origin)
        return { status: res.status, url: next, html: '', headers: res.headers };
      return this.visit(next);
    }
    return { status: res.status, url: action, html: await res.text(), headers: res.headers };
  }

  /** The raw form POST (no redirect followed). */
  post(
    action: string,
    fields: Record<string, string>,
    options: { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return this.request(action, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        ...options.headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** A JSON POST as the passkey script sends it. */
  async postJson(url: string, body: unknown, csrf: string): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        origin: 'null',
        'sec-fetch-site': 'same-origin',
      },
      body: JSON.stringify(body),
    });
  }

  cookieHeader(path: string): string {
    return [...this.#cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  hasCookie(name: string): boolean {
    return [...this.#cookies.values()].some((c) => c.name === name);
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expired = value === '';
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim());
      if (key.toLowerCase() === 'path') path = val;
      if (key.toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      if (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
    }
    const key = `${path}\0${name}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, { name, value, path });
  }
}

/** A page reached: its status, final URL, HTML (empty once the site's origin is left) and headers. */
export interface Page {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly headers: Headers;
}
