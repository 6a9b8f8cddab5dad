// Each Dockerfile rule against its positive fixture (it must report) and its negative one (it must
// not), plus the project's own Dockerfile, which must be clean.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkDockerfile, DOCKERFILE_RULES, dockerfileModule, isDockerfile } from '@rampart/scan';
import { fixtureExists, ruleFixtures, rulesReported } from '../rule-fixtures.ts';

describe('Dockerfile rules, fixture by fixture', () => {
  for (const id of DOCKERFILE_RULES.keys()) {
    const { positive, negative } = ruleFixtures('dockerfile', id, '.Dockerfile');
    it(`${id}: has a positive and a negative fixture`, () => {
      assert.ok(fixtureExists(positive), positive);
      assert.ok(fixtureExists(negative), negative);
    });
    it(`${id}: reports the positive fixture`, async () => {
      assert.ok((await rulesReported(dockerfileModule, positive)).includes(id));
    });
    it(`${id}: does not report the negative fixture`, async () => {
      assert.ok(!(await rulesReported(dockerfileModule, negative)).includes(id));
    });
  }
});

describe('Dockerfile details', () => {
  const check = (text: string): string[] =>
    checkDockerfile({ path: 'Dockerfile', absolute: '/x/Dockerfile' }, text).map((f) => f.ruleId);
  const pinned = `FROM node:24-slim@sha256:${'a'.repeat(64)}`;

  it('finds Dockerfiles by name', () => {
    for (const name of [
      'Dockerfile',
      'a/b/Dockerfile',
      'Dockerfile.prod',
      'api.Dockerfile',
      'Containerfile',
    ]) {
      assert.ok(isDockerfile(name), name);
    }
    for (const name of ['Dockerfile.md', 'Dockerfile.dockerignore', 'dockerfile-ast.ts', 'README.md'])
      assert.ok(!isDockerfile(name), name);
  });

  it('reads the base through a build argument with a default', () => {
    assert.ok(check('ARG BASE=node\nFROM ${BASE}\nUSER 1\n').includes('dockerfile/base-latest'));
    assert.ok(
      !check(`ARG BASE=${pinned.slice(5)}\nFROM \${BASE}\nUSER 1\n`).includes('dockerfile/base-no-digest'),
    );
  });

  it('treats every stage no other stage uses as final (multi-target files)', () => {
    const text = `${pinned} AS deps\nRUN npm ci --omit=dev\n${pinned} AS a\nCOPY --from=deps /app /app\nUSER 1\n${pinned} AS b\nCOPY --from=deps /app /app\n`;
    const findings = checkDockerfile({ path: 'Dockerfile', absolute: '/x/Dockerfile' }, text);
    const rootUser = findings.filter((f) => f.ruleId === 'dockerfile/root-user');
    assert.deepEqual(
      rootUser.map((f) => f.message.match(/`(\w+)`/u)?.[1]),
      ['b'],
    );
  });

  it('inherits USER from the stage a final stage is built on', () => {
    assert.ok(
      !check(`${pinned} AS base\nUSER 10001\nFROM base\nCMD ["node"]\n`).includes('dockerfile/root-user'),
    );
  });

  it('sees curl -k combined with other short flags, and wget --no-check-certificate', () => {
    assert.ok(
      check(`${pinned}\nRUN curl -fsSLk https://x -o y\nUSER 1\n`).includes(
        'dockerfile/tls-verification-off',
      ),
    );
    assert.ok(
      check(`${pinned}\nRUN wget --no-check-certificate https://x\nUSER 1\n`).includes(
        'dockerfile/tls-verification-off',
      ),
    );
    assert.ok(
      !check(`${pinned}\nRUN curl -fsSL https://x -o y\nUSER 1\n`).includes(
        'dockerfile/tls-verification-off',
      ),
    );
  });

  it('does not take a path or a reference for a secret', () => {
    const findings = check(
      `${pinned}\nARG TOKEN\nENV API_KEY=\${API_KEY} TLS_KEY=/etc/tls/key.pem SIGNING_KEY_ID=abc\nUSER 1\n`,
    );
    assert.ok(!findings.includes('dockerfile/secret-in-env-arg'));
  });

  it("keeps the project's own Dockerfile clean", async () => {
    const file = join(import.meta.dirname, '../../../../Dockerfile');
    assert.ok(readFileSync(file, 'utf8').includes('FROM'));
    assert.deepEqual(await rulesReported(dockerfileModule, file), []);
  });
});
