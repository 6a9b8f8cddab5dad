import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

describe('admin API: the OpenAPI document', () => {
  let a: AdminHarness;

  before(async () => {
    a = await startAdminHarness();
  });
  after(async () => {
    await a.close();
  });

  const documented = () => {
    const doc = adminOpenApi(a.h.identity.settings);
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
    assert.deepEqual(res.json, JSON.parse(JSON.stringify(adminOpenApi(a.h.identity.settings))));
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
      assert.deepEqual(query.sort(), [...route.query].sort(), key);
      const pathParameters = (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => parameter.name);
      const templated = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      assert.deepEqual(pathParameters.sort(), templated.sort(), key);
      assert.ok(operation.responses['401'] && operation.responses['403'], `${key} documents refusals`);
    }
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
