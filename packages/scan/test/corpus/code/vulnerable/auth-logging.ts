// Login handler that logs too much.
import type { FastifyReply, FastifyRequest } from 'fastify';

interface LoginBody {
  readonly username: string;
  readonly password: string;
}

export async function login(request: FastifyRequest<{ Body: LoginBody }>, reply: FastifyReply): Promise<void> {
  const { username, password } = request.body;
  request.log.info(`login attempt for ${username} with password ${password}`);
  console.debug({ headers: request.headers });
  const authorization = request.headers.authorization;
  request.log.debug(authorization);
  await reply.send({ ok: true, user: username });
}
