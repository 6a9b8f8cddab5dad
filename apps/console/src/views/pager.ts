import { html, type TemplateResult } from 'lit-html';

/**
 * Cursor paging over an admin API list (`?after=<cursor>`): where the page stands, and the pages
 * already passed, so Previous goes back without the API paging backwards.
 */
export class CursorPages {
  /** The cursor of the page shown (`null`: the first). */
  cursor: string | null = null;
  readonly #back: (string | null)[] = [];

  get onFirstPage(): boolean {
    return this.#back.length === 0;
  }

  /** Previous and Next buttons for a page whose `next` cursor is given; `reload` shows the new page. */
  view(next: string | null, reload: () => void): TemplateResult {
    return html`<div class="pager">
      <button
        type="button"
        class="secondary"
        ?disabled=${this.#back.length === 0}
        @click=${() => {
          this.cursor = this.#back.pop() ?? null;
          reload();
        }}
      >
        Previous page
      </button>
      <button
        type="button"
        class="secondary"
        ?disabled=${next === null}
        @click=${() => {
          this.#back.push(this.cursor);
          this.cursor = next;
          reload();
        }}
      >
        Next page
      </button>
    </div>`;
  }
}
