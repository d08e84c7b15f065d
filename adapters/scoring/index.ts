/**
 * Scoring / precise-segmentation system (REST/JSON): credit score, value tier, positioning and recommended offers.
 * One evaluation feeds two sections.
 */
import { defineAdapter, field, getJson, jsonHttpClient, type JsonClient } from '../../gateway/adapter';
import { schemaFile } from '../../schemas';

interface Evaluation {
  customerId: string;
  evaluatedAt: string;
  creditScore: number;
  creditGrade: string;
  valueTier: string;
  positioning: string;
  offers: Array<{ offerCode: string; offerName: string; reason: string; propensity: number }>;
}

export default defineAdapter<JsonClient>({
  name: 'scoring',
  description: 'Scoring: credit score, value tier, positioning, recommended offers with reasons',
  typeDefs: schemaFile('score.graphql'),
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    evaluation: {
      fetch: (client, id, ctx) => getJson<Evaluation>(client, `/scoring/v2/evaluations/${encodeURIComponent(id)}`, ctx),
    },
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
