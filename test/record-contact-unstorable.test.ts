/**
 * A contact the store cannot hold (a NUL character, an unpaired UTF-16 surrogate) is the caller's input error,
 * BAD_USER_INPUT, not STORE_UNAVAILABLE ("retry"), and no log line carries the SQL, its parameters or the
 * contact's content; a real store error is logged by its code, without the values. Real HTTP, real CRM mock, real
 * PGlite and PostgreSQL.
 */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { storeErrorForLog } from '../gateway/store';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { ENGINES, testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(async () => {
  await mocks.close();
  await stores.cleanup();
});

const DESK = { 'x-api-key': 'desk-key-0123456789abcdef' };
const RECORD = `mutation Record($input: ContactInput!, $key: String) {
  recordContact(input: $input, idempotencyKey: $key) { status contactId }
}`;
const MARKER = 'private-words-of-the-customer';

describe.each(ENGINES)('on %s', (engine) => {
  let gateway: Gateway;
  const lines: string[] = [];
  beforeAll(async () => {
    const store = await stores.open(engine);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    gateway = createGateway(
      testConfig(mocks, {
        logLevel: 'debug',
        security: { consumers: [{ id: 'desk-1', role: 'front-desk', apiKeySha256: sha256(DESK['x-api-key']) }] },
      }),
      { logger: pino({ level: 'debug' }, sink), store },
    );
    await gateway.listen();
  });
  afterAll(() => gateway.close());

  it.each([
    ['a NUL character', 'response', `${MARKER}\u0000`],
    ['an unpaired high surrogate', 'type', `${MARKER}\ud800`],
    ['an unpaired low surrogate', 'outcome', `\udc00${MARKER}`],
  ])('%s is BAD_USER_INPUT naming the field, and the content reaches no log line', async (_, field, value) => {
    const input = {
      customerId: 'C00000031',
      channel: 'CALL_CENTER',
      type: 'CAMPAIGN_OFFER',
      outcome: 'ACCEPTED',
      response: 'ACCEPTED',
      [field]: value,
    };
    const { status, body } = await postGraphQL(gateway.url, RECORD, { input, key: `bad-${engine}-${field}` }, DESK);
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors[0]).toMatchObject({
      message: `${field} contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored.`,
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(lines.join('')).not.toContain(MARKER);
    expect(lines.join('')).not.toContain('params:');
  });

  it('a pair of surrogates (an emoji) is stored as it is', async () => {
    const input = {
      customerId: 'C00000032',
      channel: 'CALL_CENTER',
      type: 'CAMPAIGN_OFFER',
      outcome: 'ACCEPTED',
      response: 'LATER 🙂',
    };
    const { body } = await postGraphQL(gateway.url, RECORD, { input, key: `emoji-${engine}` }, DESK);
    expect(body.data.recordContact.status).toBe('RECORDED');
  });

  it('a store error is logged by its code and names, never its values', async () => {
    const store = await stores.open(engine);
    const err = await store.db.execute(sql`SELECT ${MARKER}::int`).catch((e: unknown) => e);
    // The driver's own message and Drizzle's both quote the value: what is logged does not.
    expect(String((err as Error).message) + String((err as { cause?: Error }).cause?.message)).toContain(MARKER);
    const logged = storeErrorForLog(err);
    expect(logged).toMatchObject({ type: 'DatabaseError', code: '22P02' });
    expect(JSON.stringify(logged)).not.toContain(MARKER);
  });
});
