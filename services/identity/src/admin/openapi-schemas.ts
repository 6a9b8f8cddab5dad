import { GROUP_PATTERN, ROLE_PATTERN } from '../accounts/index.ts';
import type { JsonSchema } from './openapi-types.ts';

/** A client id: the same shape as the names of rampart.yaml. */
export const CLIENT_ID_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** A scope a client may be given (never `admin`: only the console gets it). */
export const SCOPE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** The grants a client created through the API may have: never implicit, never password. */
export const CLIENT_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

const groupName: JsonSchema = { type: 'string', pattern: GROUP_PATTERN.source, maxLength: 64 };
const roleName: JsonSchema = { type: 'string', pattern: ROLE_PATTERN.source, maxLength: 64 };
const groupList: JsonSchema = { type: 'array', items: groupName, uniqueItems: true, maxItems: 100 };
const roleList: JsonSchema = { type: 'array', items: roleName, uniqueItems: true, maxItems: 50 };
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
const nullableDateTime: JsonSchema = { type: ['string', 'null'], format: 'date-time' };
const strings: JsonSchema = { type: 'array', items: { type: 'string' } };
const nextCursor: JsonSchema = {
  type: ['string', 'null'],
  description: 'Pass as `after` to get the next page; null on the last page.',
};

/** A list page of `item`s. */
function listOf(item: string): JsonSchema {
  return {
    type: 'object',
    required: ['items', 'next'],
    properties: {
      items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } },
      next: nextCursor,
    },
  };
}

/**
 * Request bodies. Each is compiled by Ajv (JSON Schema 2020-12, strict) and enforced as written
 * here: what the document says is what the API accepts. Unknown fields are refused everywhere.
 */
export const requestSchemas = {
  Empty: {
    type: 'object',
    description: 'No fields: the operation takes no input (an absent body is the same).',
    additionalProperties: false,
    maxProperties: 0,
  },
  CreateUser: {
    type: 'object',
    additionalProperties: false,
    required: ['username'],
    properties: {
      username: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'Normalized (NFKC, lower case).',
      },
      password: {
        type: 'string',
        minLength: 1,
        maxLength: 1024,
        writeOnly: true,
        description:
          'At least 12 characters, not a common password, not containing the username. When absent, a ' +
          'one-time password is generated, returned once, and must be changed at the first sign-in.',
      },
      displayName: { type: 'string', minLength: 1, maxLength: 200 },
      email: { type: 'string', minLength: 3, maxLength: 254 },
      groups: groupList,
      roles: roleList,
      mustChangePassword: {
        type: 'boolean',
        description: 'Default false with a password, always true without.',
      },
    },
  },
  UpdateUser: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      displayName: { type: ['string', 'null'], minLength: 1, maxLength: 200, description: 'null clears it.' },
      email: { type: ['string', 'null'], minLength: 3, maxLength: 254, description: 'null clears it.' },
      disabled: { type: 'boolean', description: 'Disabling also signs the user out everywhere.' },
      groups: { ...groupList, description: 'The complete new set of groups.' },
      roles: { ...roleList, description: 'The complete new set of roles.' },
    },
  },
  CreateGroup: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: groupName, description: { type: 'string', minLength: 1, maxLength: 500 } },
  },
  CreateClient: {
    type: 'object',
    additionalProperties: false,
    required: ['clientId', 'type', 'grants', 'scopes'],
    properties: {
      clientId: { type: 'string', pattern: CLIENT_ID_PATTERN.source },
      type: { enum: ['confidential', 'public'] },
      grants: {
        type: 'array',
        items: { enum: [...CLIENT_GRANTS] },
        minItems: 1,
        uniqueItems: true,
        description: 'Never implicit or password. Public clients: authorization_code (and refresh_token).',
      },
      redirectUris: {
        type: 'array',
        items: { type: 'string', minLength: 1, maxLength: 2000 },
        uniqueItems: true,
        maxItems: 20,
        description:
          'Required with authorization_code, refused without. https, or http only on 127.0.0.1 / [::1]; ' +
          'written exactly as they will be matched (normalized), without fragment, user info or wildcard.',
      },
      scopes: {
        type: 'array',
        items: { type: 'string', pattern: SCOPE_PATTERN.source },
        minItems: 1,
        uniqueItems: true,
        maxItems: 50,
        description:
          'What the client may ask for (least privilege: a client without scopes could ask for any). ' +
          'Each must be a scope this deployment supports; never admin.',
      },
      postLogoutRedirectUris: {
        type: 'array',
        items: { type: 'string', minLength: 1, maxLength: 2000 },
        uniqueItems: true,
        maxItems: 20,
        description:
          'Where RP-initiated logout may send the browser back (post_logout_redirect_uri, matched ' +
          'exactly). Only with authorization_code; the same rules as redirectUris.',
      },
      idTokenSignedResponseAlg: {
        enum: ['ES256', 'RS256'],
        description: 'How ID tokens for this client are signed. Default ES256.',
      },
      resourceServer: {
        type: 'boolean',
        description:
          'Confidential clients only: may introspect every token identity issues (RFC 7662), not only its own. Default false.',
      },
      requireMfa: { type: 'boolean', description: 'Default false.' },
      firstParty: { type: 'boolean', description: 'Default false: users are asked to consent.' },
      jwks: {
        type: 'object',
        additionalProperties: false,
        required: ['keys'],
        description:
          'Confidential clients only: authenticate with private_key_jwt using these public keys instead ' +
          'of a generated secret. Private key members are refused.',
        properties: {
          keys: {
            type: 'array',
            minItems: 1,
            maxItems: 10,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['kty'],
              properties: {
                kty: { enum: ['EC', 'OKP', 'RSA'] },
                kid: { type: 'string', minLength: 1, maxLength: 128 },
                use: { const: 'sig' },
                alg: { enum: ['ES256', 'EdDSA', 'PS256'] },
                crv: { enum: ['P-256', 'Ed25519'] },
                x: { type: 'string', maxLength: 128 },
                y: { type: 'string', maxLength: 128 },
                n: { type: 'string', maxLength: 1400 },
                e: { type: 'string', maxLength: 16 },
              },
            },
          },
        },
      },
    },
  },
  UpdateClient: {
    type: 'object',
    additionalProperties: false,
    required: ['disabled'],
    properties: {
      disabled: {
        type: 'boolean',
        description:
          'true: the client gets no token, its grants and refresh tokens are deleted and the gateways refuse ' +
          'every access token issued to it before. false: it may get tokens again (its secret is unchanged).',
      },
    },
  },
} as const satisfies Record<string, JsonSchema>;

/** The name of a request body schema. */
export type RequestSchemaName = keyof typeof requestSchemas;

/** Response bodies (documentation only). */
export const responseSchemas = {
  Error: {
    type: 'object',
    required: ['error', 'error_description'],
    properties: {
      error: { type: 'string', examples: ['invalid_request', 'invalid_token', 'mfa_required', 'not_found'] },
      error_description: { type: 'string' },
    },
  },
  User: {
    type: 'object',
    required: [
      'id',
      'username',
      'displayName',
      'email',
      'groups',
      'roles',
      'disabled',
      'mustChangePassword',
      'mfa',
      'createdAt',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      username: { type: 'string' },
      displayName: { type: ['string', 'null'] },
      email: { type: ['string', 'null'] },
      groups: strings,
      roles: strings,
      disabled: { type: 'boolean' },
      mustChangePassword: { type: 'boolean' },
      mfa: {
        type: 'object',
        required: ['totp', 'passkeys'],
        properties: { totp: { type: 'boolean' }, passkeys: { type: 'integer' } },
      },
      createdAt: dateTime,
    },
  },
  UserList: listOf('User'),
  UserCreated: {
    type: 'object',
    required: ['user'],
    properties: {
      user: { $ref: '#/components/schemas/User' },
      oneTimePassword: {
        type: 'string',
        description: 'Only when no password was given: shown this once, never stored in clear.',
      },
    },
  },
  OneTimePassword: {
    type: 'object',
    required: ['oneTimePassword'],
    properties: {
      oneTimePassword: { type: 'string', description: 'Shown this once; must be changed at sign-in.' },
    },
  },
  Group: {
    type: 'object',
    required: ['name', 'description', 'members', 'createdAt'],
    properties: {
      name: { type: 'string' },
      description: { type: ['string', 'null'] },
      members: { type: 'integer' },
      createdAt: dateTime,
    },
  },
  GroupList: listOf('Group'),
  Client: {
    type: 'object',
    required: [
      'clientId',
      'source',
      'type',
      'grants',
      'redirectUris',
      'postLogoutRedirectUris',
      'scopes',
      'requireMfa',
      'firstParty',
      'authMethod',
      'idTokenSignedResponseAlg',
      'resourceServer',
      'disabled',
    ],
    properties: {
      clientId: { type: 'string' },
      source: {
        enum: ['config', 'builtin', 'api'],
        description: 'config: rampart.yaml; builtin: the console; both read-only. api: created here.',
      },
      type: { enum: ['confidential', 'public'] },
      grants: strings,
      redirectUris: strings,
      postLogoutRedirectUris: strings,
      scopes: strings,
      requireMfa: { type: 'boolean' },
      firstParty: { type: 'boolean' },
      authMethod: { enum: ['client_secret_basic', 'private_key_jwt', 'none'] },
      idTokenSignedResponseAlg: { enum: ['ES256', 'RS256'] },
      resourceServer: { type: 'boolean' },
      disabled: {
        type: 'boolean',
        description: 'A disabled client gets no token; every token issued to it before is refused.',
      },
      createdAt: nullableDateTime,
      updatedAt: nullableDateTime,
    },
  },
  ClientList: listOf('Client'),
  ClientCreated: {
    type: 'object',
    required: ['client'],
    properties: {
      client: { $ref: '#/components/schemas/Client' },
      clientSecret: {
        type: 'string',
        description: '256 random bits, shown this once; only its hash is stored.',
      },
    },
  },
  ClientSecret: {
    type: 'object',
    required: ['clientSecret'],
    properties: {
      clientSecret: { type: 'string', description: 'Shown this once; the previous secret stops working.' },
    },
  },
  Passkey: {
    type: 'object',
    required: ['id', 'name', 'transports', 'backedUp', 'createdAt', 'lastUsedAt'],
    properties: {
      id: { type: 'string', description: 'The credential id (base64url).' },
      name: { type: 'string' },
      transports: strings,
      backedUp: { type: 'boolean' },
      createdAt: dateTime,
      lastUsedAt: nullableDateTime,
    },
  },
  Devices: {
    type: 'object',
    required: ['totp', 'passkeys'],
    properties: {
      totp: {
        type: 'object',
        required: ['enabled', 'recoveryCodesLeft'],
        properties: { enabled: { type: 'boolean' }, recoveryCodesLeft: { type: 'integer' } },
      },
      passkeys: { type: 'array', items: { $ref: '#/components/schemas/Passkey' } },
    },
  },
  Session: {
    type: 'object',
    required: ['id', 'signedInAt', 'expiresAt', 'amr', 'acr', 'clients'],
    properties: {
      id: { type: 'string', description: 'The session id of ID tokens (sid), not a credential.' },
      signedInAt: nullableDateTime,
      expiresAt: nullableDateTime,
      amr: strings,
      acr: { type: ['string', 'null'] },
      clients: strings,
    },
  },
  SessionList: listOf('Session'),
  UserSession: {
    type: 'object',
    required: ['id', 'signedInAt', 'expiresAt', 'amr', 'acr', 'clients', 'userId', 'username'],
    properties: {
      id: { type: 'string', description: 'The session id of ID tokens (sid), not a credential.' },
      signedInAt: nullableDateTime,
      expiresAt: nullableDateTime,
      amr: strings,
      acr: { type: ['string', 'null'] },
      clients: strings,
      userId: { type: 'string', format: 'uuid' },
      username: { type: 'string' },
    },
  },
  UserSessionList: listOf('UserSession'),
  SessionsRevoked: {
    type: 'object',
    required: ['revoked'],
    properties: { revoked: { type: 'integer', description: 'How many sessions were ended.' } },
  },
  SigningKey: {
    type: 'object',
    required: ['kid', 'alg', 'state', 'createdAt', 'activatedAt', 'retiredAt'],
    properties: {
      kid: { type: 'string' },
      alg: { type: 'string' },
      state: { enum: ['next', 'current', 'retired'] },
      createdAt: dateTime,
      activatedAt: nullableDateTime,
      retiredAt: nullableDateTime,
    },
  },
  KeyList: listOf('SigningKey'),
  KeysRotated: {
    type: 'object',
    required: ['current', 'items'],
    properties: {
      current: { type: 'string', description: 'The kid now signing.' },
      items: { type: 'array', items: { $ref: '#/components/schemas/SigningKey' } },
    },
  },
} as const satisfies Record<string, JsonSchema>;

/** The name of a response body schema. */
export type ResponseSchemaName = keyof typeof responseSchemas;
