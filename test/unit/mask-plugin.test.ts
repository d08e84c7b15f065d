/**
 * The mask plugin masks, in the answer of this request only, the fields the consumer's role reads masked: under
 * their response keys (aliases), through fragments, each string of a list; nothing else, and nothing for a role
 * without masks or an answer kept already masked (answer cache). In process: envelop over graphql-js.
 */
import { envelop, useEngine, useSchema } from '@envelop/core';
import { execute, parse, specifiedRules, subscribe, validate } from 'graphql';
import { RoleSchema } from '../../gateway/config';
import type { GatewayContext } from '../../gateway/pipeline/context';
import { useMask } from '../../gateway/pipeline/mask';
import { viewSchema } from '../support/view-schema';

const roles = {
  desk: RoleSchema.parse({
    fields: {
      'Profile.idCardNumber': { mask: 'idCard' },
      'Profile.aliases': { mask: 'name' },
      'Manager.phone': { mask: 'msisdn' },
    },
  }),
  auditor: RoleSchema.parse({}),
};

const record = () => ({
  profile: {
    name: '张伟',
    idCardNumber: '110101199003071234',
    aliases: ['张三', '小张'],
    manager: { name: '李娜', phone: '13812345678' },
  },
});

async function run(query: string, context: Partial<GatewayContext>) {
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(viewSchema),
      useMask({ schema: viewSchema, roles }),
    ],
  });
  const { execute: run, schema } = getEnveloped(context);
  const value = record();
  return run({
    schema,
    document: parse(query),
    rootValue: { customer: () => value },
    contextValue: context,
  }) as Promise<{ data?: Record<string, unknown> }>;
}

const consumer = (role: string) => ({ id: 'c', name: 'c', role, via: 'api-key' as const });

it('masks the fields the role reads masked, by alias, through fragments and in lists', async () => {
  const result = await run(
    `{ customer(id: "1") { profile { name card: idCardNumber ...P ... on Profile { manager { name phone } } } } }
     fragment P on Profile { aliases idCardNumber }`,
    { consumer: consumer('desk') },
  );
  expect(result.data).toEqual({
    customer: {
      profile: {
        name: '张伟',
        card: '110***********1234',
        idCardNumber: '110***********1234',
        aliases: ['张*', '小*'],
        manager: { name: '李娜', phone: '138****5678' },
      },
    },
  });
});

it('leaves the answer of a role without masks, and an answer kept already masked, as they are', async () => {
  const query = '{ customer(id: "1") { profile { idCardNumber } } }';
  const plain = { customer: { profile: { idCardNumber: '110101199003071234' } } };
  expect((await run(query, { consumer: consumer('auditor') })).data).toEqual(plain);
  expect((await run(query, { consumer: consumer('desk'), answeredFromCache: true })).data).toEqual(plain);
});
