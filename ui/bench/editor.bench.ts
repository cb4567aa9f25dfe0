/**
 * Editor benchmark (part of `npm run bench`): a 500-node pipeline opened in Debian's Chromium
 * against a real server. Prints JSON: time to the first drawn node and to an interactive editor
 * (a frame painted after the nodes, the palette and the forms are there), and frame times while
 * the canvas is panned and zoomed. Goal: open in under 2 s and stay interactive.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfig } from '../../core/src/config/config.js';
import { createLogger, startServer } from '../../core/src/server.js';
import { browserSkip, CHROMIUM, DEMO_PASSWORD, ensureUiBuilt, UI_DIST } from '../src/testing/browser.js';

const NODES = Number(process.env.PIPER_BENCH_EDITOR_NODES ?? 500);
const RUNS = 5;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
}

/** A wide pipeline: a trigger, then rows of transforms with fan-out and joins, like a big real one. */
function bigGraph(versions: Record<string, string>) {
  const nodes = [{ id: 'start', type: 'core.manual', position: { x: 0, y: 0 }, data: { version: versions['core.manual'], args: {} } }];
  const edges: Array<{ id: string; source: string; target: string }> = [];
  const perColumn = 20;
  for (let index = 1; index < NODES; index++) {
    const column = Math.floor((index - 1) / perColumn);
    const row = (index - 1) % perColumn;
    const id = `t${index}`;
    nodes.push({ id, type: 'core.transform', position: { x: 280 * (column + 1), y: 90 * row }, data: { version: versions['core.transform'], args: { code: `return { ...input, step: ${index} };` } } });
    const parent = column === 0 ? 'start' : `t${index - perColumn}`;
    edges.push({ id: `e${index}`, source: parent, target: id });
  }
  return { nodes, edges };
}

async function main() {
  if (browserSkip('ui/bench/editor.bench.ts')) return;
  ensureUiBuilt();
  // Its own embedded PostgreSQL in a temporary data directory, with the demo data, like `npm start`.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'piper-bench-editor-'));
  fs.chmodSync(dataDir, 0o755);
  const config = { ...loadConfig(), dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', embeddedPgPort: 20000 + Math.floor(Math.random() * 20000), databaseUrl: undefined, seed: 'demo' as const, uiDir: UI_DIST, docker: 'off' as const };
  const server = await startServer(config, createLogger(config));
  const request = async (method: string, url: string, token?: string, body?: unknown) => {
    const response = await fetch(server.url + url, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const token = (await request('POST', '/api/auth/login', undefined, { email: 'manager@acme.test', password: DEMO_PASSWORD })).body.token as string;
    const groups = (await request('GET', '/api/groups', token)).body as Array<{ id: string }>;
    const types = (await request('GET', '/api/node-types', token)).body as Array<{ type: string; version: string }>;
    const versions = Object.fromEntries(types.map((type) => [type.type, type.version]));
    const created = await request('POST', '/api/pipelines', token, { name: `${NODES} nodes`, groupId: groups[0]!.id, graph: bigGraph(versions) });
    if (created.status !== 201) throw new Error(`pipeline not created: ${JSON.stringify(created.body)}`);
    const pipelineId = created.body.id as string;

    const firstNode: number[] = [];
    const interactive: number[] = [];
    let frames: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 } });
      await context.addInitScript(`localStorage.setItem('piper.token', ${JSON.stringify(token)})`);
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(`/manager/pipelines/${pipelineId}`);
      await page.locator('.react-flow__node').first().waitFor({ timeout: 30_000 });
      firstNode.push(Date.now() - started);
      await page.locator('.palette-item').first().waitFor();
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
      interactive.push(Date.now() - started);

      if (run === RUNS - 1) {
        // Pan with the mouse and zoom with the wheel while every frame's interval is recorded.
        // A string, not a function: the TypeScript loader would add helpers the page does not have.
        await page.evaluate(`{
          const intervals = [];
          window.__frames = intervals;
          let last = performance.now();
          const tick = (now) => {
            intervals.push(now - last);
            last = now;
            if (intervals.length < 100000) requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        }`);
        const pane = await page.locator('.react-flow__pane').boundingBox();
        const x = pane!.x + pane!.width / 2;
        const y = pane!.y + pane!.height / 2;
        for (let sweep = 0; sweep < 4; sweep++) {
          await page.mouse.move(x, y);
          await page.mouse.down();
          for (let step = 1; step <= 30; step++) await page.mouse.move(x - step * 15 * (sweep % 2 ? -1 : 1), y - step * 5);
          await page.mouse.up();
          await page.mouse.wheel(0, sweep % 2 ? -300 : 300);
        }
        frames = (await page.evaluate('window.__frames.slice(1)')) as number[];
      }
      await context.close();
    }

    console.log(
      JSON.stringify(
        {
          editor: {
            nodes: NODES,
            openRuns: RUNS,
            firstNodeDrawnMs: { first: firstNode[0], p50: percentile(firstNode, 50), max: Math.max(...firstNode) },
            interactiveMs: { first: interactive[0], p50: percentile(interactive, 50), max: Math.max(...interactive) },
            panAndZoomFrameMs: { frames: frames.length, p50: percentile(frames, 50), p95: percentile(frames, 95), max: Math.round(Math.max(...frames)) },
            goal: 'interactive in under 2000 ms',
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
