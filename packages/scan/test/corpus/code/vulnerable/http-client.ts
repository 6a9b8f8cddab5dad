// An HTTP client for a partner API that "fixed" a certificate error.
import https from 'node:https';
import tls from 'node:tls';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export const partnerAgent = new https.Agent({
  keepAlive: true,
  rejectUnauthorized: false,
});

export function connectLegacy(host: string): tls.TLSSocket {
  return tls.connect({ host, port: 443, checkServerIdentity: () => undefined });
}

export async function callPartner(path: string, accessToken: string): Promise<unknown> {
  console.log('calling partner with token', accessToken);
  const response = await fetch(`https://partner.example${path}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return response.json();
}
