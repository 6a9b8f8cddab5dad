import type { Logger } from '@rampart/sdk';
import type { MeshAuthority } from './app.ts';

/** What the supervisor sends the mesh, besides `config` (which the boot handles, as for every component). */
export type MeshCommand =
  | {
      readonly type: 'mesh.join-token';
      readonly spiffeId: string;
      readonly sha256: string;
      readonly expiresAt: string | number;
    }
  | { readonly type: 'mesh.rotate-ca' }
  | { readonly type: 'mesh.activate-ca' };

/** What the mesh answers. */
export type MeshReply =
  | { readonly type: 'mesh.join-token.added'; readonly spiffeId: string }
  | { readonly type: 'mesh.join-token.rejected'; readonly spiffeId: string; readonly reason: string }
  /** The new root `root` is in the bundle now and signs from `activatesAt` (ISO) on. */
  | { readonly type: 'mesh.ca-rotated'; readonly root: string; readonly activatesAt: string }
  | { readonly type: 'mesh.ca-rotation-failed'; readonly reason: string }
  /** `root` is the pending root made active, or null if no rotation was pending. */
  | { readonly type: 'mesh.ca-activated'; readonly root: string | null };

/**
 * The listener for the mesh's own messages from `rampart up`: join tokens (only their SHA-256
 * crosses the channel), CA rotation (`mesh.rotate-ca` publishes a new root that
 * signs later; `mesh.activate-ca` makes it sign now).
 *
 * @example
 * process.on('message', createIpcHandler(mesh, (reply) => process.send?.(reply), log));
 */
export function createIpcHandler(
  mesh: MeshAuthority,
  send: (reply: MeshReply) => void,
  log: Logger,
): (message: unknown) => void {
  return (message) => {
    if (typeof message !== 'object' || message === null) return;
    const fields = message as Record<string, unknown>;
    switch (fields['type']) {
      case 'mesh.join-token': {
        const { spiffeId, sha256, expiresAt } = fields;
        const id = typeof spiffeId === 'string' ? spiffeId : '';
        try {
          if (typeof sha256 !== 'string') throw new TypeError('sha256 must be a string');
          const at =
            typeof expiresAt === 'number' || typeof expiresAt === 'string'
              ? new Date(expiresAt)
              : new Date(NaN);
          mesh.addJoinToken(id, sha256, at);
          log.info({ spiffeId: id, expiresAt: at }, 'join token registered');
          send({ type: 'mesh.join-token.added', spiffeId: id });
        } catch (error) {
          const reason = error instanceof Error ? error.message : 'invalid';
          log.warn({ spiffeId: id, reason }, 'join token rejected');
          send({ type: 'mesh.join-token.rejected', spiffeId: id, reason });
        }
        return;
      }
      case 'mesh.rotate-ca':
        mesh.rotateCa().then(
          ({ root, activatesAt }) => {
            send({ type: 'mesh.ca-rotated', root, activatesAt: activatesAt.toISOString() });
          },
          (error: unknown) => {
            log.error({ err: error }, 'CA rotation failed');
            send({
              type: 'mesh.ca-rotation-failed',
              reason: error instanceof Error ? error.message : 'failed',
            });
          },
        );
        return;
      case 'mesh.activate-ca':
        mesh.activatePendingCa().then(
          (root) => {
            send({ type: 'mesh.ca-activated', root });
          },
          (error: unknown) => {
            log.error({ err: error }, 'CA activation failed');
            send({
              type: 'mesh.ca-rotation-failed',
              reason: error instanceof Error ? error.message : 'failed',
            });
          },
        );
        return;
      default:
        return;
    }
  };
}
