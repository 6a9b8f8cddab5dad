import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { consoleCsp, loadConsoleSite, rewriteSpecifiers, staticSpecifiers } from '@rampart/console';

const SRC = join(import.meta.dirname, '../src');
const site = loadConsoleSite({
  gatewayOrigin: 'https://127.0.0.1:8443',
  issuer: 'https://127.0.0.1:8443/auth',
});

/**
 * Minified vendor code: `from"./x.js"`, `import"./x.js"` — a specifier-shaped string only, so the
 * prose of an error message (`obtained from "validateAuthResponse()"`) is not taken for one.
 */
function vendorSpecifiers(code: string): string[] {
  return [...code.matchAll(/\b(?:from|import)\s*["']([\w@./-]+)["']/gu)].map((match) => match[1] ?? '');
}

describe('the console as the gateway loads it', () => {
  it("resolves every import of every served module to a served file (the browser's view)", () => {
    for (const [path, asset] of site.assets) {
      if (asset.contentType !== 'text/javascript; charset=utf-8') continue;
      const code = asset.body.toString();
      const specifiers = path.includes('/vendor/') ? vendorSpecifiers(code) : staticSpecifiers(code);
      for (const specifier of specifiers) {
        const url = new URL(specifier, `https://127.0.0.1:8443${path}`);
        assert.ok(site.assets.has(url.pathname), `${path} imports ${specifier}, which is not served`);
      }
    }
  });

  it('serves every source module type-stripped, at /console/app/…js', () => {
    const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    assert.ok(sources.length > 15);
    for (const file of sources) {
      const url = `/console/app/${relative('.', file).replaceAll('\\', '/').replace(/\.ts$/u, '.js')}`;
      const asset = site.assets.get(url);
      assert.ok(asset !== undefined, url);
      assert.doesNotMatch(asset.body.toString(), /\bimport type\b|: (string|number|boolean)\b[,)=;]/u, url);
    }
  });

  it('has no inline script or style anywhere: the page, the templates, the stylesheet', () => {
    const page = readFileSync(join(SRC, 'index.html'), 'utf8');
    for (const tag of page.matchAll(/<script\b[^>]*>/giu)) assert.match(tag[0], /\bsrc="\/console\//u);
    assert.doesNotMatch(page, /<style\b|\sstyle=|\son[a-z]+=|javascript:/iu);
    for (const [path, asset] of site.assets) {
      if (path.includes('/vendor/') || !path.endsWith('.js')) continue;
      const code = asset.body.toString();
      assert.doesNotMatch(code, /\sstyle=|<style\b|<script\b|\son[a-z]+=["']/iu, path);
      assert.doesNotMatch(code, /\b(eval|Function)\(|innerHTML|unsafeHTML|\.setAttribute\('style'/u, path);
    }
  });

  it('tells the page its issuer, client and APIs in config.json, derived from the gateway', () => {
    const config = JSON.parse(site.assets.get('/console/config.json')?.body.toString() ?? '{}') as Record<
      string,
      string
    >;
    assert.deepEqual(config, {
      issuer: 'https://127.0.0.1:8443/auth',
      clientId: 'rampart-console',
      resource: 'https://127.0.0.1:8443/auth/admin',
      adminApi: 'https://127.0.0.1:8443/auth/admin',
      auditApi: 'https://127.0.0.1:8443/audit',
      redirectUri: 'https://127.0.0.1:8443/console/callback',
      postLogoutRedirectUri: 'https://127.0.0.1:8443/console/',
    });
  });

  it('gives strong ETags that change with the content, and versioned vendor URLs', () => {
    const etags = new Set([...site.assets.values()].map((asset) => asset.etag));
    const bodies = new Set([...site.assets.values()].map((asset) => asset.body.toString('base64')));
    assert.equal(etags.size, bodies.size);
    for (const path of site.assets.keys())
      if (path.includes('/vendor/')) assert.match(path, /\/vendor\/[a-z0-9-]+@\d+\.\d+\.\d+\//u);
  });
});

describe('consoleCsp', () => {
  it("is 'self' only when identity is on the gateway's origin", () => {
    assert.equal(
      consoleCsp('https://127.0.0.1:8443', 'https://127.0.0.1:8443/auth'),
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    assert.match(
      consoleCsp('https://127.0.0.1:8443', 'https://id.example.com/auth'),
      /connect-src 'self' https:\/\/id\.example\.com;/u,
    );
  });
});

describe('rewriteSpecifiers', () => {
  const map = (specifier: string): string | undefined =>
    specifier === 'lit-html'
      ? '/v/lit.js'
      : specifier.startsWith('./')
        ? `/app/${specifier.slice(2)}`
        : undefined;

  it('rewrites static imports and re-exports, over several lines, and nothing in strings', () => {
    const code = [
      "import { html } from 'lit-html';",
      'import {',
      '  a,',
      '  b,',
      "} from './x.ts';",
      "export { c } from './y.ts';",
      "import './side.ts';",
      "const q = data.get('from') ?? '';",
      'const s = "import \'nope\'";',
    ].join('\n');
    const out = rewriteSpecifiers(code, 'm.ts', map);
    assert.match(out, /from '\/v\/lit\.js'/u);
    assert.match(out, /from '\/app\/x\.ts'/u);
    assert.match(out, /from '\/app\/y\.ts'/u);
    assert.match(out, /import '\/app\/side\.ts'/u);
    assert.match(out, /data\.get\('from'\) \?\? ''/u);
    assert.match(out, /"import 'nope'"/u);
  });

  it('refuses an unknown bare import and import(), naming the module', () => {
    assert.throws(
      () => rewriteSpecifiers("import x from 'left-pad';", 'm.ts', map),
      /m\.ts imports 'left-pad'/u,
    );
    assert.throws(() => rewriteSpecifiers("const m = await import('./x.ts');", 'm.ts', map), /import\(\)/u);
  });

  it('never throws anything but its TypeError on generated code', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (code) => {
        try {
          rewriteSpecifiers(code, 'gen.ts', map);
        } catch (error) {
          assert.ok(error instanceof TypeError);
        }
      }),
    );
  });
});
