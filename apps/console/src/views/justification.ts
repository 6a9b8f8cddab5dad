import { html, type TemplateResult } from 'lit-html';
import { JUSTIFICATIONS, TICKET_PATTERN, type Justification } from '../api/audit.ts';
import { field } from './forms.ts';

/**
 * The fields a re-identification asks for: why (one of the audit API's reasons) and, optionally, a
 * case reference. `idPrefix` keeps their ids apart when two forms show them.
 */
export function justificationFields(idPrefix: string, required: boolean): TemplateResult {
  return html`<label for=${`${idPrefix}-reason`}
      >Reason for re-identifying
      <select id=${`${idPrefix}-reason`} name="reason" ?required=${required}>
        <option value="">${required ? 'choose one' : 'only with a username'}</option>
        ${JUSTIFICATIONS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select>
    </label>
    <label for=${`${idPrefix}-ticket`}
      >Case reference (optional)
      <input
        id=${`${idPrefix}-ticket`}
        name="ticket"
        pattern=${TICKET_PATTERN}
        maxlength="30"
        placeholder="INC-1234"
        title="Letters, then digits: INC-1234, SEC#42"
        autocomplete="off"
      />
    </label>`;
}

/** The justification of a submitted form, or undefined when no reason was chosen. */
export function justificationOf(data: FormData): Justification | undefined {
  const reason = field(data, 'reason');
  if (reason === '') return undefined;
  const ticket = field(data, 'ticket');
  return ticket === '' ? { reason } : { reason, ticket };
}
