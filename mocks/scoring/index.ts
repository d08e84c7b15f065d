/**
 * Mock scoring / precise-segmentation system: REST/JSON.
 *
 *   GET /scoring/v2/evaluations/:id   credit score, value tier, positioning and recommended offers with reasons
 */
import { scoringEvaluation } from '../dataset/customers';
import { sendJson, serializedRecords, startMock, type MockOptions, type MockServer } from '../server';

export function startScoringMock(options: MockOptions = {}): Promise<MockServer> {
  const evaluationJson = serializedRecords(scoringEvaluation);
  return startMock('scoring', options, (app) => {
    app.get('/scoring/v2/evaluations/:id', (req, res) => {
      const evaluation = evaluationJson(req.params.id);
      if (!evaluation)
        return void res
          .status(404)
          .json({ status: 404, title: 'Not Found', detail: `no evaluation for ${req.params.id}` });
      sendJson(res, evaluation);
    });
  });
}
