import { html, type TemplateResult } from 'lit-html';
import { ApiError } from '../api/http.ts';

/** What a page shows while it loads. */
export function loading(what: string): TemplateResult {
  return html`<p class="state" role="status">Loading ${what}…</p>`;
}

/** An empty list: says so, and what would fill it. */
export function empty(message: string): TemplateResult {
  return html`<p class="state state-empty">${message}</p>`;
}

/**
 * A failed load, in words: "The audit service is not reachable" for an API that answers 404/5xx
 * (not deployed, stopped), the API's own description otherwise.
 */
export function failure(error: unknown, service: string): TemplateResult {
  return html`<div class="state state-error" role="alert">
    <p><strong>${failureTitle(error, service)}</strong></p>
    <p>${failureDetail(error)}</p>
  </div>`;
}

export function failureTitle(error: unknown, service: string): string {
  if (!(error instanceof ApiError)) return `Something went wrong talking to ${service}.`;
  switch (error.kind) {
    case 'unreachable':
    case 'unavailable':
      return `The ${service} is not reachable.`;
    case 'unauthorized':
      return 'Your session has ended.';
    case 'forbidden':
      return `The ${service} refuses this account.`;
    case 'refused':
      return `The ${service} refused the request.`;
  }
}

function failureDetail(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.kind === 'unavailable')
      return `It answered HTTP ${error.status}: it may be stopped, or not deployed in this version.`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A secret shown once (a one-time password, a client secret), with the warning that it will not be again. */
export function shownOnce(label: string, value: string, dismiss: () => void): TemplateResult {
  return html`<div class="secret" role="alert">
    <p><strong>${label}</strong> — shown this once; copy it now.</p>
    <p><code class="secret-value">${value}</code></p>
    <button type="button" @click=${dismiss}>Done</button>
  </div>`;
}
