/**
 * Business rules read the customer view through the seam as an in-process consumer. With
 * `security.trustedDocuments: "registered"` a gateway runs nothing but trusted documents from the network; the rules'
 * own operation is built in this process and must keep working there: an event still loads the view and sends the
 * offer. Real HTTP (signed webhook), on PGlite.
 */
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let store: Store;
let h: MarketingHarness;
beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  store = await stores.open('pglite');
  h = await startMarketing(store, { security: { trustedDocuments: 'registered' } }, { mocks, channels });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await h.close();
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

it('a rule still loads the view and sends its offer on a gateway that runs only trusted documents', async () => {
  const event = roamingEvent('C00000027', 'Macau');
  const res = await h.send(event);
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({
    eventId: event.id,
    viewLoaded: true,
    offer: { offerCode: 'DATA-HKMO', status: 'SENT' },
  });
  expect(channels.sent()).toEqual({ SMS: 0, PUSH: 0, EMAIL: 1 });
});
