import { test } from 'node:test';
import assert from 'node:assert/strict';

// A token captured from staging (fake: made-up signature)
const captured = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c3JfZmFrZSIsImF1ZCI6Im9yZGVycyIsImV4cCI6MTg5MzQ1NjAwMH0.4012brU_A0udUYpsdMC160YaUKd8nhJj4D2paTLIIdGXE0OKEDVtpwdjGNOPEe7tvHyRBcRHeunp2NTgbhj4vZ';
// alg none: what the verifier must refuse
const unsigned = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c3JfZmFrZSIsImF1ZCI6Im9yZGVycyIsImV4cCI6MTg5MzQ1NjAwMH0.';

test('refuses an unsigned token', () => {
  assert.notEqual(captured, unsigned);
});
