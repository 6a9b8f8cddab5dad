// Known digests of the release artifacts (public values)
export const checksums = {
  linux: 'sha256:b408e16e8b063b61c62c91b4f659061e7ed383faddc15bf47d34b7b62fa35c35',
  darwin: 'sha256:61bd4cd5927d0c7cf6fc2b7a121271fa235c6e809b554bac00e8b1fa1a083526',
};
export const passwordHash = '$argon2id$v=19$m=65536,t=3,p=4$EbeBzTeaVdDBg9CDMWy0U2$2H/lVhbRiQZ3TvH2YeArkhygNf7RQnxqun4T1kbIqwy';
export const tokenType = 'Bearer';
export const secretName = 'orders-db-credentials';
export const integrity = 'sha512-QovD7boNg7AnZG/tbigr96nyz+Z28FEBdv2sDKBgY8KQEKn1GkSULph07hODCdWxf6yFjwinFO1MnFbbHzKcQa==';
