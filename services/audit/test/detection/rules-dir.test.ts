import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TempDir } from '@rampart/testing';
import {
  DetectionRuleError,
  loadConfiguredRules,
  loadRules,
  SHIPPED_RULES_DIR,
} from '../../src/detection/index.ts';

const EXTRA = `id: admin-night-login
title: An admin signed in
severity: low
description: Every admin sign-in, for a team that wants to see them.
match:
  event: login.succeeded
  clientId: rampart-console
`;

describe('audit.rules: a directory of rules beside or instead of the shipped pack', () => {
  let dir: TempDir;
  const shipped = loadRules(SHIPPED_RULES_DIR).map((rule) => rule.id);

  before(async () => {
    dir = await tempDir('rampart-rules-');
    mkdirSync(join(dir.path, 'good'));
    writeFileSync(join(dir.path, 'good', 'admin-night-login.yaml'), EXTRA);
    writeFileSync(join(dir.path, 'good', 'README.md'), 'not a rule');
    mkdirSync(join(dir.path, 'bad'));
    writeFileSync(join(dir.path, 'bad', 'a.yaml'), EXTRA.replace('severity: low', 'severity: urgent'));
    mkdirSync(join(dir.path, 'clash'));
    writeFileSync(join(dir.path, 'clash', 'mine.yaml'), EXTRA.replace('admin-night-login', 'token-reuse'));
  });

  after(async () => {
    await dir.cleanup();
  });

  it('loads the shipped pack by default, and the directory beside it (relative to rampart.yaml)', () => {
    assert.deepEqual(
      loadConfiguredRules(undefined, dir.path).map((rule) => rule.id),
      shipped,
    );
    assert.deepEqual(
      loadConfiguredRules({ rules: { dir: 'good' } }, dir.path).map((rule) => rule.id),
      [...shipped, 'admin-night-login'],
    );
  });

  it('shipped: false keeps only the directory', () => {
    assert.deepEqual(
      loadConfiguredRules({ rules: { dir: 'good', shipped: false } }, dir.path).map((rule) => rule.id),
      ['admin-night-login'],
    );
  });

  it('refuses a bad rule naming the file, the rule and the field', () => {
    assert.throws(
      () => loadConfiguredRules({ rules: { dir: 'bad' } }, dir.path),
      (error: unknown) =>
        error instanceof DetectionRuleError &&
        error.file === join(dir.path, 'bad', 'a.yaml') &&
        error.rule === 'admin-night-login' &&
        error.field === 'severity' &&
        /must be one of low, medium, high, critical/.test(error.message),
    );
  });

  it('refuses an id the shipped pack already uses, naming both files (turn the pack off to change one)', () => {
    assert.throws(
      () => loadConfiguredRules({ rules: { dir: 'clash' } }, dir.path),
      (error: unknown) =>
        error instanceof DetectionRuleError &&
        error.field === 'id' &&
        error.message.includes(join(dir.path, 'clash', 'mine.yaml')) &&
        error.message.includes('token-reuse.yaml'),
    );
    assert.deepEqual(
      loadConfiguredRules({ rules: { dir: 'clash', shipped: false } }, dir.path).map((rule) => rule.id),
      ['token-reuse'],
    );
  });

  it('refuses a directory that does not exist', () => {
    assert.throws(
      () => loadConfiguredRules({ rules: { dir: 'missing' } }, dir.path),
      (error: unknown) => error instanceof DetectionRuleError && /does not exist/.test(error.message),
    );
  });
});
