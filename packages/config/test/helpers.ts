import { parseConfig, type ConfigProblem } from '@rampart/config';

/** A small valid config; test cases edit it line by line. Line numbers are in the comments. */
export const BASE = `version: 1
name: shop
policies:
  signed-in: {}
services:
  orders:
    entry: orders.ts
    port: 7102
    callers: [gateway]
    routes:
      - method: GET
        path: /orders
        policy: signed-in
`;
// 1 version, 2 name, 3 policies, 4 signed-in, 5 services, 6 orders, 7 entry, 8 port,
// 9 callers, 10 routes, 11 - method, 12 path, 13 policy

/** BASE with exact substrings replaced (each must occur). */
export function edit(...replacements: [string, string][]): string {
  let text = BASE;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`test bug: ${JSON.stringify(from)} is not in the config`);
    text = text.replace(from, to);
  }
  return text;
}

export interface Expected {
  code: ConfigProblem['code'];
  line: number;
  column: number;
  message: string;
  fix?: string;
  severity?: 'error' | 'warning';
}

/** The problems of a text, reduced to what the tables assert. */
export function problemsOf(text: string): Expected[] {
  const result = parseConfig(text, 'rampart.yaml');
  return result.problems.map((p) => {
    const e: Expected = { code: p.code, line: p.line, column: p.column, message: p.message };
    if (p.severity === 'warning') e.severity = 'warning';
    return e;
  });
}
