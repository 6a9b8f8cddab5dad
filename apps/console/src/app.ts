import type { TemplateResult } from 'lit-html';
import type { AuditApi } from './api/audit.ts';
import type { IdentityAdmin } from './api/identity-admin.ts';
import type { AdminSession } from './auth/session.ts';
import type { ConsoleSettings } from './settings.ts';

/** What every page works with. */
export interface AppContext {
  readonly settings: ConsoleSettings;
  readonly session: AdminSession;
  readonly identity: IdentityAdmin;
  readonly audit: AuditApi;
  /** Re-renders the console (after a page's state changed). */
  update(): void;
  /** Moves to another page (`#/audit`), with a query for it (`seq=12`). */
  navigate(hash: string): void;
}

/** One page of the console: its title and what it renders now; `dispose` when it is left. */
export interface PageView {
  readonly title: string;
  render(): TemplateResult;
  dispose?(): void;
}

export type PageFactory = (app: AppContext, query: URLSearchParams) => PageView;

/**
 * A value loaded from an API: not yet, loaded, or failed — each state is rendered, never a blank.
 */
export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ready'; readonly value: T }
  | { readonly state: 'failed'; readonly error: unknown };

/** Loads `load()` into a {@link Loaded}, re-rendering when it settles. */
export function track<T>(app: AppContext, load: () => Promise<T>, set: (value: Loaded<T>) => void): void {
  set({ state: 'loading' });
  load().then(
    (value) => {
      set({ state: 'ready', value });
      app.update();
    },
    (error: unknown) => {
      set({ state: 'failed', error });
      app.update();
    },
  );
}
