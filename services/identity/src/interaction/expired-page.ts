import type { ServerResponse } from 'node:http';
import { html, page } from '../pages/layout.ts';
import { sendPage } from '../pages/respond.ts';

/**
 * The page for an interaction that is gone: expired (10 minutes), finished, or opened without its
 * cookie (another browser). Nothing can continue it; the application must start a new sign-in.
 */
export function sendExpired(res: ServerResponse, mountPath: string): void {
  sendPage(
    res,
    400,
    page({
      mountPath,
      title: 'Sign-in expired',
      body: html`<p>This sign-in has expired or was opened in another browser.</p>
        <p class="muted">Go back to the application and sign in again.</p>`,
    }),
  );
}
