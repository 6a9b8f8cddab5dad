/** PEM blocks of a given label, in order (e.g. every CERTIFICATE in a bundle). */
export function pemBlocks(text: string, label = 'CERTIFICATE'): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\r\\n]+-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((match) => `${match[0].replace(/\r\n/g, '\n')}\n`);
}

/** DER bytes as a PEM block. */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
