/**
 * The channel systems' load (REST/JSON, the channel gateway's `GET /channels/v1/load`): the call centre's queue, the
 * SMS centre's throughput, the business halls' waiting customers, the web and WAP halls' sessions, each against its
 * capacity. Read by the steering section (gateway/steering/) through the same protected path as every backend: it
 * adds no section of its own to Customer, and its one record (key `current`) is the load now.
 */
import { z } from 'zod/v4';
import { defineAdapter, getJson, jsonHttpClient, resource, type JsonClient } from '../../gateway/backends';

const Load = z
  .object({
    at: z.string(),
    channels: z.array(
      z
        .object({
          channel: z.string(),
          measure: z.string(),
          value: z.number().min(0),
          capacity: z.number().gt(0),
          utilisation: z.number().min(0),
        })
        .passthrough(),
    ),
  })
  .passthrough();
type Load = z.infer<typeof Load>;

export default defineAdapter<JsonClient>({
  name: 'channelload',
  description: "Channel systems' load: call-centre queue, SMS-centre throughput, business-hall waiting, sessions",
  typeDefs: '',
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    load: resource({
      fetch: (client: JsonClient, _key, ctx) => getJson(client, '/channels/v1/load', ctx),
      schema: Load,
      toRecord: (l: Load) => ({
        at: l.at,
        channels: l.channels.map((c) => ({
          channel: c.channel,
          measure: c.measure,
          value: c.value,
          capacity: c.capacity,
          utilisation: c.utilisation,
        })),
      }),
    }),
  },
  fields: {},
});
