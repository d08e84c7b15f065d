/**
 * GraphiQL at `GET /graphql` for browsers, served from the gateway's own node_modules: it works on a machine
 * without internet access, as operator networks often are.
 */
import path from 'node:path';
import express, { type Router } from 'express';

/** A file inside an installed package, found through its package.json (React does not export its UMD files). */
const packageFile = (pkg: string, file: string): string =>
  path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);

const ASSETS: Record<string, string> = {
  'react.js': packageFile('react', 'umd/react.production.min.js'),
  'react-dom.js': packageFile('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.js': packageFile('graphiql', 'graphiql.min.js'),
  'graphiql.css': packageFile('graphiql', 'graphiql.min.css'),
};

export const GRAPHIQL_ASSETS_PATH = '/graphiql';

export function graphiqlAssets(): Router {
  const router = express.Router();
  for (const [name, file] of Object.entries(ASSETS)) {
    router.get(`/${name}`, (_req, res) =>
      res.sendFile(file, { maxAge: '1d', headers: { 'x-content-type-options': 'nosniff' } }),
    );
  }
  return router;
}

const inScript = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

export function graphiqlPage(defaultQuery: string, headers?: Record<string, string>): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>UCV Gateway · GraphiQL</title>
  <link rel="stylesheet" href="${GRAPHIQL_ASSETS_PATH}/graphiql.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="${GRAPHIQL_ASSETS_PATH}/react.js"></script>
  <script src="${GRAPHIQL_ASSETS_PATH}/react-dom.js"></script>
  <script src="${GRAPHIQL_ASSETS_PATH}/graphiql.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: location.pathname });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: ${inScript(defaultQuery)}, ${headers ? `defaultHeaders: ${inScript(JSON.stringify(headers, null, 2))}, ` : ''}defaultEditorToolsVisibility: true }),
    );
  </script>
</body>
</html>`;
}
