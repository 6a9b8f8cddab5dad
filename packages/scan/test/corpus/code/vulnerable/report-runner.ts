// Runs "formulas" and templates sent by users.
import vm from 'node:vm';

export function evaluate(request: { body: { expression: string } }): unknown {
  return eval(request.body.expression);
}

export function compileRule(source: string): (input: unknown) => boolean {
  return new Function('input', `return (${source});`) as (input: unknown) => boolean;
}

export function sandbox(request: { query: { code: string } }): unknown {
  return vm.runInNewContext(request.query.code, {});
}

export function loadPlugin(name: string): unknown {
  return require(`./plugins/${name}`);
}
