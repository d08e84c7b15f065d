/**
 * The security section of the config is validated at start like the rest: a consumer of an unknown role, an API
 * key that is not a SHA-256 digest, a mask that does not exist, a field right that is not a schema coordinate, are
 * refused with the key, what was expected and what was given. Anonymous access is off unless configured.
 */
import { ConfigError, DEFAULT_ROLES, parseConfig } from '../gateway/config';
import { postGraphQL, startHarness } from './support/harness';

const adapters = [{ name: 'crm', url: 'http://127.0.0.1:4101' }];
const messageOf = (security: unknown): string => {
  try {
    parseConfig({ adapters, security }, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('config was accepted');
};

it('defaults: the roles of the issue, no consumer, no anonymous access, no JWT', () => {
  const { security } = parseConfig({ adapters }, {});
  expect(Object.keys(security.roles).sort()).toEqual([
    'admin',
    'call-center',
    'front-desk',
    'legacy-billing',
    'marketing',
    'self-service',
  ]);
  expect(Object.keys(DEFAULT_ROLES).sort()).toEqual(Object.keys(security.roles).sort());
  expect(security.consumers).toEqual([]);
  expect(security.anonymous).toBeUndefined();
  expect(security.jwt).toBeUndefined();
  expect(Object.isFrozen(security.roles['front-desk'])).toBe(true);
});

it.each([
  [
    'a consumer of an unknown role',
    { consumers: [{ id: 'x', role: 'root' }] },
    /security\.consumers\[0\]\.role: expected one of the roles front-desk, .*got "root"/,
  ],
  [
    'an API key given in clear',
    { consumers: [{ id: 'x', role: 'admin', apiKeySha256: 'my-key' }] },
    /security\.consumers\[0\]\.apiKeySha256: expected a sha-256 digest .*got "my-key"/,
  ],
  [
    'a user without a password',
    { consumers: [{ id: 'x', role: 'admin', username: 'u' }] },
    /security\.consumers\[0\]\.password: expected .*username and password together/,
  ],
  [
    'a mask that does not exist',
    { roles: { r: { fields: { 'Profile.name': { mask: 'blur' } } } } },
    /security\.roles\.r\.fields\.Profile\.name/,
  ],
  [
    'a field right that is not a coordinate',
    { roles: { r: { fields: { profile: 'deny' } } } },
    /security\.roles\.r\.fields\.profile: expected a schema coordinate type\.field or type\.\*/,
  ],
  [
    'an anonymous role that does not exist',
    { anonymous: { role: 'guest' } },
    /security\.anonymous\.role: expected one of the roles/,
  ],
  ['a short HS256 secret', { jwt: { issuer: 'i', audience: 'a', secret: 'short' } }, /security\.jwt\.secret/],
])('refuses %s', (_what, security, message) => {
  expect(messageOf(security)).toMatch(message);
});

it('a field right naming a type or field the schema does not have is reported at start (it applies to nothing)', async () => {
  const { createGateway } = await import('../gateway/app/server');
  const { default: pino } = await import('pino');
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
  const config = parseConfig(
    {
      adapters,
      security: {
        roles: { typo: { fields: { 'Profle.idCardNumber': 'deny', 'Profile.idCard': { mask: 'idCard' } } } },
      },
    },
    {},
  );
  await createGateway(config, { logger }).close();
  expect(warnings).toEqual([
    'security.roles.typo.fields: "Profle.idCardNumber" names no object type of this gateway\'s schema; it applies to nothing',
    'security.roles.typo.fields: "Profile.idCard": Profile has no field idCard in this gateway\'s schema; it applies to nothing',
  ]);
});

it('anonymous access, when configured, reads as the role it names', async () => {
  const h = await startHarness({ security: { anonymous: { role: 'marketing' } } });
  try {
    const res = await postGraphQL(
      h.url,
      '{ customer(id: "C00000001") { profile { msisdn } score { creditScore } } }',
      undefined,
      { 'x-api-key': '' },
    );
    // An empty key is a wrong key, not no key: refused.
    expect(res.status).toBe(401);
    const anonymous = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ customer(id: "C00000001") { profile { msisdn } score { creditScore } } }' }),
    });
    const body = (await anonymous.json()) as {
      data: { customer: { profile: unknown; score: { creditScore: number } } };
      errors: Array<{ extensions: { code: string } }>;
    };
    expect(anonymous.status).toBe(200);
    expect(body.data.customer.profile).toBeNull();
    expect(body.data.customer.score.creditScore).toEqual(expect.any(Number));
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
  } finally {
    await h.close();
  }
});
