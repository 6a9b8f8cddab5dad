import { RampartError } from '@rampart/errors';
import { isLuhnValid } from '@rampart/sdk';

/**
 * Checks a card number (digits only, Luhn) and an `MM/YY` expiry that has not passed. The
 * number is never part of an error or log message.
 */
export function checkCard(cardNumber: string, expiry: string, now: Date = new Date()): void {
  if (!isLuhnValid(cardNumber)) throw new RampartError('SHOP_CARD_REJECTED', { detail: 'Luhn check failed' });
  const [month, year] = expiry.split('/').map(Number);
  if (month === undefined || year === undefined)
    throw new RampartError('SHOP_CARD_REJECTED', { detail: 'expiry' });
  // A card is valid through the last day of its expiry month.
  const firstDayAfter = Date.UTC(2000 + year, month, 1);
  if (firstDayAfter <= now.getTime())
    throw new RampartError('SHOP_CARD_REJECTED', { detail: 'card expired' });
}
