/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** HTML that is already safe (built from escaped parts); the type keeps raw strings out. */
export interface SafeHtml {
  readonly html: string;
}

/** Tagged template: interpolated strings are escaped, `SafeHtml` values are inserted as they are. */
export function html(
  strings: TemplateStringsArray,
  ...values: readonly (string | number | SafeHtml | readonly SafeHtml[])[]
): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

function render(value: string | number | SafeHtml | readonly SafeHtml[]): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if ('html' in value) return value.html;
  return value.map((part) => part.html).join('');
}

/** Marks markup produced elsewhere (oidc-provider's own forms) as trusted. Use sparingly. */
export function trusted(markup: string): SafeHtml {
  return { html: markup };
}

/** Where the stylesheet is served, relative to the issuer mount. */
export const STYLESHEET_PATH = '/assets/identity.css';

/**
 * A whole page: no third-party resource, no inline script or style (the CSP forbids both), one
 * stylesheet from this origin, a language and a title for assistive technology.
 */
export function page(options: {
  mountPath: string;
  title: string;
  body: SafeHtml;
  /** Load the passkey script (`/assets/passkey.js`): only pages with a passkey button need it. */
  passkeyScript?: boolean;
}): string {
  const script =
    options.passkeyScript === true
      ? html`<script src="${options.mountPath + PASSKEY_SCRIPT_PATH}" defer></script>`
      : html``;
  return `<!doctype html>${
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${options.title} · Rampart</title>
        <link rel="stylesheet" href="${options.mountPath + STYLESHEET_PATH}" />
        ${script}
      </head>
      <body>
        <main class="card">
          <h1>${options.title}</h1>
          ${options.body}
        </main>
      </body>
    </html>`.html
  }`;
}

/** Where the passkey script is served, relative to the issuer mount. */
export const PASSKEY_SCRIPT_PATH = '/assets/passkey.js';

/** The stylesheet: small, readable, high contrast, visible focus. */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #14171a; --bg: #f4f5f7; --card: #fff; --accent: #1d4ed8; --err: #b91c1c; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8eaed; --bg: #111418; --card: #1b1f24; --accent: #7aa2ff; --err: #f87171; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
.card { width: min(26rem, 92vw); padding: 2rem; background: var(--card); border-radius: 12px; box-shadow: 0 1px 4px rgb(0 0 0 / 0.12); }
h1 { margin: 0 0 1.25rem; font-size: 1.4rem; }
label { display: block; margin: 0.9rem 0 0.3rem; font-weight: 600; }
input { width: 100%; padding: 0.6rem 0.7rem; font: inherit; border: 1px solid #8a9099; border-radius: 8px; background: transparent; color: inherit; }
button { margin-top: 1.2rem; width: 100%; padding: 0.7rem; font: inherit; font-weight: 600; color: #fff; background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--err); font-weight: 600; }
.muted { opacity: 0.8; font-size: 0.9rem; }
ul.scopes { padding-left: 1.2rem; }
input[aria-invalid="true"] { border-color: var(--err); }
.hint { margin: 0.3rem 0 0; font-size: 0.9rem; opacity: 0.85; }
.divider { margin: 1.5rem 0 0; text-align: center; opacity: 0.8; }
.secret { font-family: ui-monospace, monospace; overflow-wrap: anywhere; padding: 0.5rem; border: 1px dashed #8a9099; border-radius: 6px; }
ol.codes { font-family: ui-monospace, monospace; columns: 2; }
section { margin-top: 1.75rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
ul.plain { list-style: none; padding: 0; }
ul.plain li { padding: 0.5rem 0; border-bottom: 1px solid #8a909955; }
form.inline button { width: auto; margin-top: 0.4rem; padding: 0.3rem 0.8rem; }
[hidden] { display: none !important; }
details summary { cursor: pointer; margin-top: 1.2rem; color: var(--accent); }
`;
