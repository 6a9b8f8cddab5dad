import type { PathHandler } from '../http/router.ts';
import { PASSKEY_SCRIPT_PATH } from './layout.ts';
import { PASSKEY_SCRIPT } from './passkey-script.ts';

/** Serves the pages' static script (`/assets/passkey.js`); the stylesheet is served by `app.ts`. */
export function pageAssetsHandler(): PathHandler {
  const body = Buffer.from(PASSKEY_SCRIPT, 'utf8');
  return (req, res, path) => {
    if (path !== PASSKEY_SCRIPT_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return Promise.resolve(false);
    }
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'content-length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return Promise.resolve(true);
  };
}
