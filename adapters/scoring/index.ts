/**
 * Scoring / precise-segmentation system (REST/JSON): credit score, value tier, positioning and recommended offers.
 * One evaluation feeds two sections.
 */
import { z } from 'zod/v4';
import { defineAdapter, field, getJson, jsonHttpClient, resource, type JsonClient } from '../../gateway/backends';
import { schemaFile } from '../../schemas';

// The evaluation as the mock (and the real system) answers it; checked after every fetch, extra fields pass.
const Evaluation = z
  .object({
    customerId: z.string(),
    evaluatedAt: z.string(),
    creditScore: z.number().int(),
    creditGrade: z.string(),
    valueTier: z.string(),
    positioning: z.string(),
    offers: z.array(
      z
        .object({
          offerCode: z.string(),
          offerName: z.string(),
          reason: z.string(),
          reasonCode: z.string().nullish(),
          propensity: z.number(),
        })
        .passthrough(),
    ),
  })
  .passthrough();
type Evaluation = z.infer<typeof Evaluation>;

export default defineAdapter<JsonClient>({
  name: 'scoring',
  description: 'Scoring: credit score, value tier, positioning, recommended offers with reasons',
  typeDefs: schemaFile('score.graphql'),
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    evaluation: resource({
      fetch: (client: JsonClient, id, ctx) => getJson(client, `/scoring/v2/evaluations/${encodeURIComponent(id)}`, ctx),
      schema: Evaluation,
    }),
  },
  fields: {
    score: field<Evaluation>('evaluation', (e) => ({
      creditScore: e.creditScore,
      creditGrade: e.creditGrade,
      valueTier: e.valueTier,
      positioning: e.positioning,
      evaluatedAt: e.evaluatedAt,
    })),
    recommendations: field<Evaluation>('evaluation', (e) => e.offers),
  },
});
