/**
 * The client portal and the manager's run pages in a real browser against a real server:
 * a client reads the result of a production run made for them (and another client does not
 * see it); a manager finds runs in the history, reads node outputs, logs and files, and
 * retries a failed run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserSkip, screenshot, signIn, startUiTest, withFailureScreenshot, type UiTestEnv } from '../../testing/browser.js';

const skip = browserSkip(import.meta.filename);

interface GraphNodeSpec {
  id: string;
  type: string;
  args?: Record<string, unknown>;
}

describe('run results in the browser', { skip }, () => {
  let env: UiTestEnv;
  let manager = '';
  let versions = new Map<string, string>();
  let groupId = '';
  let clientId = '';

  const call = async (method: string, path: string, body?: unknown, token = manager) => {
    const response = await env.server.request(method, path, { token, body });
    assert.ok(response.status < 300, `${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };

  /** A published, enabled pipeline of nodes in a chain, for the demo client. */
  async function pipeline(name: string, chain: GraphNodeSpec[]): Promise<string> {
    const nodes = chain.map((node, index) => ({ id: node.id, type: node.type, position: { x: 200 * index, y: 100 }, data: { version: versions.get(node.type), args: node.args ?? {} } }));
    const edges = chain.slice(1).map((node, index) => ({ id: `e${index}`, source: chain[index]!.id, target: node.id }));
    const created = await call('POST', '/api/pipelines', { name, groupId, clientId, graph: { nodes, edges } });
    await call('POST', `/api/pipelines/${created.id}/versions`);
    await call('PATCH', `/api/pipelines/${created.id}`, { enabled: true });
    return created.id;
  }

  async function finished(runId: string): Promise<{ status: string; output: unknown; error: unknown }> {
    for (let i = 0; i < 200; i += 1) {
      const run = await call('GET', `/api/runs/${runId}`);
      if (['succeeded', 'failed', 'canceled'].includes(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${runId} did not finish`);
  }

  async function productionRun(pipelineId: string, input: unknown = {}): Promise<string> {
    const started = await call('POST', `/api/pipelines/${pipelineId}/runs`, { mode: 'production', clientId, input });
    return started.id;
  }

  let reportRunId = '';
  let reportPipelineId = '';
  let exportRunId = '';
  let failingRunId = '';

  before(async () => {
    env = await startUiTest();
    manager = await env.server.login('manager@acme.test');
    const types: Array<{ type: string; version: string }> = await call('GET', '/api/node-types');
    versions = new Map(types.map((type) => [type.type, type.version]));
    groupId = (await call('GET', '/api/groups')).find((group: { name: string }) => group.name === 'default').id;
    clientId = (await call('GET', '/api/users')).find((user: { email: string }) => user.email === 'client@acme.test').id;

    reportPipelineId = await pipeline('Weekly scores', [
      { id: 'start', type: 'core.manual' },
      { id: 'scores', type: 'core.transform', args: { code: "return { rows: [{ name: 'Ann', score: 3 }, { name: 'Bob', score: 5 }], total: 8 }" } },
    ]);
    reportRunId = await productionRun(reportPipelineId);
    assert.equal((await finished(reportRunId)).status, 'succeeded');
  });
  after(() => env?.close());

  it('shows a client the results made for them, with the table, the total and the status history', async () => {
    const page = await env.newPage();
    await signIn(page, 'client@acme.test');
    await withFailureScreenshot(page, 'client-results', async () => {
      await page.getByRole('heading', { name: 'My results' }).waitFor();
      const row = page.getByRole('row').filter({ hasText: 'Weekly scores' });
      await row.waitFor();
      await row.getByText('succeeded').waitFor();
      await row.getByText('v1').waitFor();
      await screenshot(page, 'client-my-results');

      await row.getByRole('link', { name: 'Weekly scores' }).click();
      await page.waitForURL(`**/client/runs/${reportRunId}`);
      await page.getByRole('heading', { name: /Weekly scores/ }).waitFor();
      await page.getByRole('cell', { name: 'Ann' }).waitFor();
      await page.getByRole('cell', { name: 'Bob' }).waitFor();
      const total = page.locator('dl.value-facts');
      await total.getByText('total').waitFor();
      await total.getByText('8', { exact: true }).waitFor();
      const history = page.getByRole('list', { name: 'Status history' });
      for (const step of ['Queued', 'Running', 'Succeeded']) await history.getByText(step, { exact: true }).waitFor();
      // Read-only: nothing on the page changes the run.
      for (const name of ['Cancel', 'Retry', 'Delete']) assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
      await screenshot(page, 'client-run-result');

      await page.getByRole('button', { name: 'Raw JSON' }).click();
      await page.getByText('"total": 8').waitFor();

      await page.getByRole('link', { name: '← My results' }).click();
      await page.getByLabel('Pipeline').selectOption({ label: 'Weekly scores' });
      await page.getByLabel('Status').selectOption('failed');
      await page.getByText('No result matches these filters.').waitFor();
      await page.getByLabel('Status').selectOption('succeeded');
      await page.getByRole('row').filter({ hasText: 'Weekly scores' }).waitFor();
      assert.match(page.url(), /pipelineId=.*status=succeeded|status=succeeded.*pipelineId=/);
    });
  });

  it('updates a client result page live while the run goes on', async () => {
    const slowPipelineId = await pipeline('Slow summary', [
      { id: 'start', type: 'core.manual' },
      { id: 'wait', type: 'core.delay', args: { ms: 2500 } },
      { id: 'summary', type: 'core.transform', args: { code: "return 'Line one\\nLine two'" } },
    ]);
    const page = await env.newPage();
    await productionRun(slowPipelineId);
    await signIn(page, 'client@acme.test');
    await withFailureScreenshot(page, 'client-live', async () => {
      // The list follows the runs still going.
      const row = page.getByRole('row').filter({ hasText: 'Slow summary' });
      await row.locator('.badge', { hasText: /queued|running/ }).waitFor();
      await row.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: 20_000 });

      const runId = await productionRun(slowPipelineId);
      await page.goto(`/client/runs/${runId}`);
      await page.locator('.page-header .badge', { hasText: /queued|running/ }).waitFor();
      await page.getByText(/Running… the result appears here|Waiting to start/).waitFor();
      await screenshot(page, 'client-run-live');
      await page.locator('.page-header .badge', { hasText: 'succeeded' }).waitFor({ timeout: 20_000 });
      const text = page.locator('pre.text-value');
      await text.waitFor();
      assert.equal(await text.textContent(), 'Line one\nLine two');
    });
  });

  it('keeps the run from another client', async () => {
    const page = await env.newPage();
    await signIn(page, 'client2@acme.test');
    await withFailureScreenshot(page, 'client2-results', async () => {
      await page.getByRole('heading', { name: 'My results' }).waitFor();
      await page.getByText('No results yet').waitFor();
      assert.equal(await page.getByText('Weekly scores').count(), 0);
      await page.goto(`/client/runs/${reportRunId}`);
      await page.getByRole('alert').waitFor();
      assert.equal(await page.getByRole('cell', { name: 'Ann' }).count(), 0);
      await screenshot(page, 'client2-no-access');
    });
  });

  it('lists runs for a manager, filters them, and shows node outputs, logs and files of a run', async () => {
    const exportPipelineId = await pipeline('Score export', [
      { id: 'start', type: 'core.manual' },
      { id: 'scores', type: 'core.transform', args: { code: "return { rows: [{ name: 'Ann', score: 3 }, { name: 'Bob', score: 5 }], total: 8 }" } },
      { id: 'csv', type: 'files.csvBuild' },
      { id: 'parse', type: 'files.csvParse' },
    ]);
    exportRunId = await productionRun(exportPipelineId);
    assert.equal((await finished(exportRunId)).status, 'succeeded');

    const page = await env.newPage();
    await signIn(page, 'manager@acme.test');
    await withFailureScreenshot(page, 'manager-runs', async () => {
      await page.goto('/manager/runs');
      await page.getByRole('heading', { name: 'Runs' }).waitFor();
      await page.getByRole('row').filter({ hasText: 'Weekly scores' }).waitFor();
      await page.getByRole('row').filter({ hasText: 'Score export' }).waitFor();
      await screenshot(page, 'manager-run-history');

      await page.getByLabel('Pipeline').selectOption({ label: 'Score export' });
      await page.waitForURL(new RegExp(`pipelineId=${exportPipelineId}`));
      await page.getByRole('row').filter({ hasText: 'Weekly scores' }).waitFor({ state: 'detached' });
      await page.getByLabel('Mode').selectOption('test');
      await page.getByText('No run matches these filters').waitFor();
      await page.getByLabel('Mode').selectOption('production');
      await page.getByRole('row').filter({ hasText: 'Score export' }).click();
      await page.waitForURL(`**/manager/runs/${exportRunId}`);

      await page.getByRole('link', { name: 'Score export' }).waitFor();
      // The result comes from files.csvParse, whose plugin ships a table viewer.
      await page.getByRole('region', { name: 'Result' }).locator('[data-piper-viewer="table"]').getByText('Bob').waitFor();
      await screenshot(page, 'manager-run-detail');

      // The client of that run reads it through the same plugin viewer, loaded by module federation.
      const clientPage = await env.newPage();
      await signIn(clientPage, 'client@acme.test');
      await clientPage.goto(`/client/runs/${exportRunId}`);
      await clientPage.locator('[data-piper-viewer="table"]').getByText('Bob').waitFor();
      await screenshot(clientPage, 'client-plugin-viewer');

      await page.getByRole('button', { name: 'Show node scores' }).click();
      const details = page.getByRole('region', { name: 'Node scores' });
      await details.getByRole('cell', { name: 'Ann' }).waitFor();
      await details.getByRole('tab', { name: 'Input' }).click();
      await details.getByRole('tab', { name: 'Output' }).click();

      await page.getByRole('button', { name: 'Show node csv' }).click();
      const csv = page.getByRole('region', { name: 'Node csv' });
      await csv.getByRole('tab', { name: /Logs/ }).click();
      await csv.getByRole('log').getByText('Wrote 2 row(s) to data.csv').waitFor();
      await csv.getByRole('log').scrollIntoViewIfNeeded();
      await screenshot(page, 'manager-node-logs');
      await csv.getByRole('tab', { name: /Files/ }).click();
      const downloading = page.waitForEvent('download');
      await csv.getByRole('button', { name: 'Download data.csv' }).click();
      assert.equal((await downloading).suggestedFilename(), 'data.csv');
      await screenshot(page, 'manager-node-files');
    });
  });

  it('shows a failed run with its error, and Retry starts a new run', async () => {
    const failingPipelineId = await pipeline('Broken report', [
      { id: 'start', type: 'core.manual' },
      { id: 'explode', type: 'core.transform', args: { code: "throw new Error('The source is empty')" } },
    ]);
    failingRunId = await productionRun(failingPipelineId);
    assert.equal((await finished(failingRunId)).status, 'failed');

    const page = await env.newPage();
    await signIn(page, 'manager@acme.test');
    await withFailureScreenshot(page, 'manager-retry', async () => {
      await page.goto(`/manager/runs/${failingRunId}`);
      await page.getByText('The source is empty').first().waitFor();
      await screenshot(page, 'manager-failed-run');
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.waitForURL((url) => /\/manager\/runs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(failingRunId));
      const retryId = new URL(page.url()).pathname.split('/').pop()!;
      await page.getByText('retry', { exact: true }).first().waitFor();
      await page.getByRole('link', { name: 'the original run' }).waitFor();
      assert.equal((await finished(retryId)).status, 'failed');
      await page.locator('.page-header .badge', { hasText: 'failed' }).waitFor();
      await screenshot(page, 'manager-retried-run');
    });
  });

  it('pages through many results with Load more', async () => {
    const started = [];
    for (let i = 0; i < 32; i += 1) started.push(await productionRun(reportPipelineId));
    for (const runId of started) await finished(runId);
    const client = await env.server.login('client@acme.test');
    let total = 0;
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { items: unknown[]; nextCursor: string | null } = await call('GET', `/api/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, client);
      total += page.items.length;
      cursor = page.nextCursor;
    }
    assert.ok(total > 30);

    const page = await env.newPage();
    await signIn(page, 'client@acme.test');
    await withFailureScreenshot(page, 'client-load-more', async () => {
      const rows = page.locator('table.runs-table tbody tr');
      await page.getByRole('button', { name: 'Load more' }).waitFor();
      assert.equal(await rows.count(), 30);
      await page.getByRole('button', { name: 'Load more' }).click();
      await page.locator('.load-more').waitFor({ state: 'detached' });
      assert.equal(await rows.count(), total);
    });
  });

  it('cancels a running run from its page', async () => {
    const longPipelineId = await pipeline('Long wait', [
      { id: 'start', type: 'core.manual' },
      { id: 'wait', type: 'core.delay', args: { ms: 30_000 } },
    ]);
    const runId = await productionRun(longPipelineId);
    const page = await env.newPage();
    await signIn(page, 'manager@acme.test');
    await withFailureScreenshot(page, 'manager-cancel', async () => {
      await page.goto(`/manager/runs/${runId}`);
      await page.locator('.page-header .badge', { hasText: 'running' }).waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('.page-header .badge', { hasText: 'canceled' }).waitFor();
      await page.getByRole('button', { name: 'Retry' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0);
      await screenshot(page, 'manager-canceled-run');
    });
  });
});
