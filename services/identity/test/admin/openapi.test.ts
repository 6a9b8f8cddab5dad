import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { adminRoutes } from '../../src/admin/admin-api.ts';
import { adminOpenApi, OPENAPI_PATH } from '../../src/admin/openapi.ts';
import { requestSchemas } from '../../src/admin/openapi-schemas.ts';
import type {
  HttpMethod,
  OpenApiOperation,
  OpenApiRef,
  OpenApiResponse,
} from '../../src/admin/openapi-types.ts';
import { startAdminHarness, type AdminHarness } from './admin-support.ts';

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];
const SOURCES = fileURLToPath(new URL('../../src/', import.meta.url));

describe('admin API: the OpenAPI document', () => {
  let a: AdminHarness;

  before(async () => {
    a = await startAdminHarness();
  });
  after(async () => {
    await a.close();
  });

  const documented = () => {
    const doc = adminOpenApi(a.h.identity.settings, adminRoutes);
    const operations = new Map<string, OpenApiOperation>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (operation !== undefined) operations.set(`${method.toUpperCase()} ${path}`, operation);
      }
    }
    return { doc, operations };
  };

  it('is served without a token at GET /admin/openapi.json, and is the document of the code', async () => {
    const res = await a.call('GET', OPENAPI_PATH, { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, JSON.parse(JSON.stringify(adminOpenApi(a.h.identity.settings, adminRoutes))));
    assert.equal(res.json['openapi'], '3.1.0');
  });

  it('documents every implemented route, and implements every documented one', () => {
    const { operations } = documented();
    const implemented = new Set([
      ...adminRoutes.map((route) => `${route.method} ${route.path}`),
      `GET ${OPENAPI_PATH}`,
    ]);
    assert.deepEqual([...operations.keys()].sort(), [...implemented].sort());
  });

  it("documents each route's body schema, whether it is required, and its query parameters", () => {
    const { operations } = documented();
    for (const route of adminRoutes) {
      const key = `${route.method} ${route.path}`;
      const operation = operations.get(key);
      assert.ok(operation, key);
      const body = operation.requestBody;
      if (route.body === undefined) {
        assert.equal(body, undefined, `${key} takes no body`);
      } else {
        assert.deepEqual(
          body?.content['application/json']?.schema,
          { $ref: `#/components/schemas/${route.body.schema}` },
          key,
        );
        assert.equal(body.required, route.body.required, key);
      }
      const query = (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name);
      assert.deepEqual(query.sort(), Object.keys(route.query).sort(), key);
      const pathParameters = (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => parameter.name);
      const templated = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      assert.deepEqual(pathParameters.sort(), templated.sort(), key);
      assert.ok(operation.responses['401'] && operation.responses['403'], `${key} documents refusals`);
      assert.ok(operation.responses[String(route.success.status)], `${key} documents its success`);
      for (const status of route.refusals) assert.ok(operation.responses[status], `${key}: ${status}`);
    }
  });

  it('is generated from the operation table: each path and operation id is written once in the sources', () => {
    const sources = globSync('**/*.ts', { cwd: SOURCES }).map((file) => ({
      file,
      text: readFileSync(`${SOURCES}${file}`, 'utf8'),
    }));
    const declaredIn = (literal: string): string[] =>
      sources.flatMap(({ file, text }) =>
        Array.from({ length: text.split(`'${literal}'`).length - 1 }, () => file),
      );
    for (const path of new Set(adminRoutes.map((route) => route.path))) {
      // Once per operation on the path, in the one resource module declaring them.
      const files = declaredIn(path);
      const operations = adminRoutes.filter((route) => route.path === path).length;
      assert.equal(files.length, operations, `${path} is written in ${files.join(', ')}`);
      assert.equal(new Set(files).size, 1, `${path} is written in ${files.join(', ')}`);
      assert.ok(files[0]?.startsWith('admin/') && files[0] !== 'admin/openapi.ts', `${path}: ${files[0]}`);
    }
    for (const route of adminRoutes) {
      assert.deepEqual(declaredIn(route.operationId), [declaredIn(route.path)[0]], route.operationId);
    }
    // The document's own operation is the one path outside the table, named once, in openapi.ts.
    assert.deepEqual(declaredIn(OPENAPI_PATH), ['admin/openapi.ts']);
  });

  it("matches the README's table of operations (the one other place paths are written, for readers)", () => {
    const readme = readFileSync(`${SOURCES}admin/README.md`, 'utf8');
    const rows = [...readme.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) +\| `([^`]+)`/gm)].map(
      ([, method, path]) => `${String(method)} ${String(path)}`,
    );
    assert.deepEqual(rows.sort(), adminRoutes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('has unique operation ids and resolvable references', () => {
    const { doc, operations } = documented();
    const ids = [...operations.values()].map((operation) => operation.operationId);
    assert.equal(new Set(ids).size, ids.length);
    const text = JSON.stringify(doc);
    for (const [, kind, name] of text.matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)) {
      const table: Readonly<Record<string, unknown>> =
        kind === 'schemas' ? doc.components.schemas : doc.components.responses;
      assert.ok(name !== undefined && name in table, `${String(kind)}/${String(name)}`);
    }
    for (const operation of operations.values()) {
      const responses: Readonly<Record<string, OpenApiResponse | OpenApiRef>> = operation.responses;
      assert.ok(
        Object.keys(responses).some((status) => status.startsWith('2')),
        operation.operationId,
      );
    }
  });

  it('refuses unknown fields in every request schema (additionalProperties: false, all the way down)', () => {
    const check = (schema: unknown, at: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const record = schema as Record<string, unknown>;
      if (record['type'] === 'object') assert.equal(record['additionalProperties'], false, at);
      for (const [key, value] of Object.entries(record)) {
        if (key === 'properties')
          for (const [name, sub] of Object.entries(value as object)) check(sub, `${at}.${name}`);
        else if (key === 'items') check(value, `${at}[]`);
      }
    };
    for (const [name, schema] of Object.entries(requestSchemas)) check(schema, name);
  });
});
