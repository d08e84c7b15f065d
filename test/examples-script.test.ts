/**
 * The registered-adapter examples name the mocks by variable, never by port, and scripts/example.ts fills them in
 * from where the mocks run: the config npm start reads (UCV_CONFIG), UCV_NETWORK_EVENTS_PORT, or the environment's
 * own NETWORK_EVENTS_URL / BILLING_URL. A real process, as a reader runs it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..');
const run = (file: string, env: Record<string, string>) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/example.ts'), file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });

it('no example hard-codes a mock address', () => {
  for (const file of fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')))
    expect(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')).not.toMatch(/127\.0\.0\.1|localhost|:41\d\d/);
});

it("fills in the mocks' URLs from the config and UCV_NETWORK_EVENTS_PORT, or from the environment", async () => {
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-example-')), 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      adapters: [
        { name: 'billing', url: 'http://billing.test:5102/' },
        { name: 'crm', url: 'http://x' },
      ],
    }),
  );
  const ledger = JSON.parse((await run('examples/billing-ledger.json', { UCV_CONFIG: config })).stdout);
  expect(ledger).toMatchObject({
    wsdlUrl: 'http://billing.test:5102/billing/AccountService?wsdl',
    endpoint: 'http://billing.test:5102/billing/AccountService',
  });
  const network = JSON.parse(
    (await run('examples/network-events.json', { UCV_CONFIG: config, UCV_NETWORK_EVENTS_PORT: '5105' })).stdout,
  );
  expect(network.baseUrl).toBe('http://127.0.0.1:5105');
  const elsewhere = JSON.parse(
    (await run('examples/network-events.json', { UCV_CONFIG: config, NETWORK_EVENTS_URL: 'http://nep.test:8080' }))
      .stdout,
  );
  expect(elsewhere.baseUrl).toBe('http://nep.test:8080');
});
