/**
 * `/marketing/campaigns`: a campaign's run for the people who run it (the definition itself is `/admin/campaigns/<id>`,
 * the definitions store's generic API: put, history, rollback, dry run = preview).
 *
 *   GET  /marketing/campaigns/:id            the run: state, who launched it and when, selected, control
 *   GET  /marketing/campaigns/:id/report     the closed loop: funnel, breakdowns, lift against the control group
 *   POST /marketing/campaigns/:id/launch     start a run of the campaign in force (202 with the run)
 *   POST /marketing/campaigns/:id/pause | resume | cancel
 *   GET  /marketing/reports/offers?since=<ISO date-time>   every campaign and event rule, by offer and by channel:
 *                                          sent, responded, accepted, declined, ordered, conversion (default: 30 days)
 *
 * Reading needs one of `marketing.campaigns.readRoles`, acting one of `launchRoles` (403 FORBIDDEN naming them).
 * 404 CAMPAIGN_NOT_FOUND, 409 CAMPAIGN_STATE naming the state the run is in; the store down is 503 STORE_UNAVAILABLE.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { sendError } from '../../errors';
import { adminCaller, type AdminGuard } from '../../inbound';
import { offersReport, type Campaigns, type Transition } from '.';
import type { Store } from '../../store';

export interface CampaignRouteOptions extends Omit<AdminGuard, 'role' | 'roles'> {
  campaigns: Campaigns;
  store: Store;
  launchRoles: readonly string[];
  readRoles: readonly string[];
  logger: Logger;
}

const ID = /^[\w.-]{1,64}$/;

export function campaignRouter(options: CampaignRouteOptions): express.Router {
  const { campaigns, logger } = options;
  const router = express.Router();
  const guard = (roles: readonly string[]): AdminGuard => ({ ...options, role: roles[0] ?? 'admin', roles });

  const route =
    (roles: readonly string[], what: string, handler: (id: string, who: string, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      const who = await adminCaller(guard(roles), req, res, what);
      if (!who) return;
      const id = String(req.params.id);
      if (!ID.test(id))
        return void sendError(res, 'BAD_REQUEST', 'The campaign id is 1 to 64 letters, digits, ".", "_" or "-".');
      try {
        await handler(id, who, res);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'campaign call failed');
        if (!res.headersSent)
          sendError(res, 'STORE_UNAVAILABLE', 'The durable store could not be reached; nothing was changed. Retry.');
      }
    };

  const answer = (res: Response, t: Transition, status = 200): void => {
    if (t.ok) return void res.status(status).json(t.run);
    sendError(res, t.code === 'NOT_FOUND' ? 'CAMPAIGN_NOT_FOUND' : 'CAMPAIGN_STATE', t.message);
  };

  router.get('/marketing/reports/offers', async (req: Request, res: Response): Promise<void> => {
    const who = await adminCaller(guard(options.readRoles), req, res, 'Reading the marketing reports');
    if (!who) return;
    const given = typeof req.query.since === 'string' ? req.query.since : undefined;
    const since = given === undefined ? new Date(Date.now() - 30 * 24 * 3600_000) : new Date(given);
    if (Number.isNaN(since.getTime()))
      return void sendError(res, 'BAD_REQUEST', 'since must be an ISO 8601 date-time, e.g. 2026-12-01T00:00:00+08:00.');
    try {
      res.json(await offersReport(options.store, since));
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'offers report failed');
      sendError(res, 'STORE_UNAVAILABLE', 'The durable store could not be reached. Retry.');
    }
  });
  router.get(
    '/marketing/campaigns/:id',
    route(options.readRoles, 'Reading a campaign', async (id, _who, res) => {
      const run = await campaigns.run(id);
      if (!run) return void sendError(res, 'CAMPAIGN_NOT_FOUND', `campaign ${id} has not been launched`);
      res.json(run);
    }),
  );
  router.get(
    '/marketing/campaigns/:id/report',
    route(options.readRoles, 'Reading a campaign', async (id, _who, res) => {
      const report = await campaigns.report(id);
      if (!report) return void sendError(res, 'CAMPAIGN_NOT_FOUND', `campaign ${id} has not been launched`);
      res.json(report);
    }),
  );
  router.post(
    '/marketing/campaigns/:id/launch',
    route(options.launchRoles, 'Launching a campaign', async (id, who, res) =>
      answer(res, await campaigns.launch(id, who), 202),
    ),
  );
  for (const action of ['pause', 'resume', 'cancel'] as const)
    router.post(
      `/marketing/campaigns/:id/${action}`,
      route(options.launchRoles, `Changing a campaign's run`, async (id, who, res) =>
        answer(res, await campaigns[action](id, who)),
      ),
    );
  return router;
}
