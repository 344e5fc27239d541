#!/usr/bin/env node
// Bundles the web console (src/console, Preact + uPlot) with esbuild into dist/console: one
// script, one stylesheet and the page. No CDN: everything the console needs is in these files.
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the console into `outDir` (default dist/console). */
export async function buildConsole(outDir = join(root, 'dist', 'console')) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'src/console/main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: outDir,
    logLevel: 'warning',
  });
  await copyFile(join(root, 'src/console/index.html'), join(outDir, 'index.html'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();
