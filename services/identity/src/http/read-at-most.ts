import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** A request as the body readers (admin API and pages) need it: a byte stream with its headers. */
export type BodySource = Readable & { readonly headers: IncomingHttpHeaders };

/**
 * The stream's bytes, failing with `tooLarge()` as soon as they pass `limit`: reading stops (the
 * stream is paused, not destroyed, so the refusal can still be sent on the same socket).
 *
 * @example
 * const bytes = await readAtMost(req, 64 * 1024, () => new AdminError(413, 'request_too_large', '…'));
 */
export function readAtMost(stream: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stop();
        stream.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
