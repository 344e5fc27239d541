/**
 * The web console: static assets built by `npm run build` (scripts/build-console.mjs) into
 * dist/console, read once at startup and served from memory. The page is public: it loads, then
 * asks for the token when the API requires one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { fail } from '../../errors.js';

/** Where `npm run build` puts the console, from src/api/routes or dist/api/routes alike. */
export const builtConsoleDir = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const notBuilt =
  '<!doctype html><title>Gswarm</title><p>The console is not built: run <code>npm run build</code>, then reload.' +
  ' The API is at <a href="/docs">/docs</a>.';

function readAssets(dir: string): Map<string, Buffer> {
  const assets = new Map<string, Buffer>();
  try {
    for (const name of readdirSync(dir)) {
      if (contentTypes[extname(name)] !== undefined) assets.set(name, readFileSync(join(dir, name)));
    }
  } catch {
    // No build yet: the page says how to make one.
  }
  return assets;
}

export const consoleRoutes: FastifyPluginAsync<{ consoleDir: string }> = async (app, { consoleDir }) => {
  const assets = readAssets(consoleDir);
  const publicRoute = { config: { public: true }, schema: { hide: true } };

  app.get('/', publicRoute, async (_request, reply) =>
    reply.type(contentTypes['.html']!).send(assets.get('index.html') ?? notBuilt),
  );

  app.get<{ Params: { file: string } }>('/console/:file', publicRoute, async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (asset === undefined || request.params.file === 'index.html')
      fail('GSW_ERR_NOT_FOUND', `no console asset ${JSON.stringify(request.params.file)}`);
    return reply
      .type(contentTypes[extname(request.params.file)]!)
      .header('cache-control', 'no-cache')
      .send(asset);
  });
};
