/** Every error code of the catalog is documented for clients, with its HTTP status. */
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CATALOG } from '../gateway/errors';

const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'errors.md'), 'utf8');

it.each(Object.entries(ERROR_CATALOG))('%s is documented in docs/errors.md with its status', (code, { status }) => {
  // Prettier pads the table's cells: one or more spaces around each.
  expect(doc).toMatch(new RegExp(`^\\| \`${code}\` +\\| ${status} +\\|`, 'm'));
});

it('docs/errors.md documents no code the gateway does not have', () => {
  const documented = [...doc.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
});
