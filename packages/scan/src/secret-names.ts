/** Variable names that hold a secret (`DB_PASSWORD`, `API_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `PRIVATE_KEY`…). */
const SECRET_NAME =
  /(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|AUTH_?KEY|CREDENTIALS?)(?:_|$)|(?:^|_)KEY$/iu;
/** …but not where a secret is read from, nor a public key or a key's id. */
const NOT_SECRET_NAME =
  /(?:_(?:FILE|PATH|DIR|URL|ID|NAME|HEADER|ENDPOINT|TYPE|ALG(?:ORITHM)?)|PUBLIC_?KEY|_PUB|KEY_?ID)$/iu;

/**
 * True when a variable of this name, with this value, is a secret written in clear: the name says
 * secret, and the value is not empty, a variable reference or an absolute path (where it is read from).
 */
export function isSecretAssignment(name: string, value: string): boolean {
  const v = value.trim();
  if (v === '' || /^["']{2}$/u.test(v) || /^\$\{?[A-Za-z_]/u.test(v) || v.startsWith('/')) return false;
  return SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name);
}
