import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateAdminPassword, generateDemoUser } from '@rampart/config';

describe('generated passwords meet identity’s policy', () => {
  it("never hold the user's name, in any case (identity would refuse to start on one that does)", () => {
    // A one-letter name is in most random passwords: the generator must draw again.
    for (let i = 0; i < 300; i++) {
      const { password } = generateDemoUser('b');
      assert.ok(!password.toLowerCase().includes('b'), password);
      assert.equal(password.length, 24);
    }
    for (let i = 0; i < 300; i++) assert.ok(!generateAdminPassword().toLowerCase().includes('admin'));
  });

  it('are random base64url of the promised length', () => {
    const passwords = new Set(Array.from({ length: 100 }, () => generateDemoUser('bob').password));
    assert.equal(passwords.size, 100);
    for (const password of passwords) assert.match(password, /^[A-Za-z0-9_-]{24}$/);
    assert.match(generateAdminPassword(), /^[A-Za-z0-9_-]{32}$/);
  });
});
