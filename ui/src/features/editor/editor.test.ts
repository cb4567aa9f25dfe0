/**
 * The manager's editor in a real browser against a real server: build a pipeline from the
 * palette, fill its forms, connect it, save, Play with live status, publish, run the published
 * version for a client, who then reads the result; undo/redo and copy/paste by keyboard.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { browserSkip, MOD, screenshot, signIn, startUiTest, withFailureScreenshot, type UiTestEnv } from '../../testing/browser.js';

const skip = browserSkip(import.meta.filename);

const node = (page: Page, id: string): Locator => page.locator(`.react-flow__node[data-id="${id}"]`);
const nodeIds = async (page: Page) => (await page.locator('.react-flow__node').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-id')))).sort();

/** The canvas redraws in the frames after a key press: retries `check` for a few seconds until it passes. */
async function eventually(check: () => Promise<void>) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const expectNodeIds = (page: Page, expected: string[]) => eventually(async () => assert.deepEqual(await nodeIds(page), expected));
const expectEdgeCount = (page: Page, expected: number) => eventually(async () => assert.equal(await page.locator('.react-flow__edge').count(), expected));

/** Drags a node type from the palette onto the canvas at (x, y) of the canvas, as a user does. */
async function dragFromPalette(page: Page, type: string, x: number, y: number) {
  const before = await page.locator('.react-flow__node').count();
  await page.locator(`.palette-item[data-node-type="${type}"]`).hover();
  await page.mouse.down();
  const canvas = (await page.locator('.react-flow__pane').boundingBox())!;
  await page.mouse.move(canvas.x + x, canvas.y + y, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(`document.querySelectorAll('.react-flow__node').length > ${before}`);
}

/** Drags from a node's output handle to another node's input handle, as a user connects them. */
async function connect(page: Page, from: string, to: string) {
  const source = await node(page, from).locator('.react-flow__handle.source').first().boundingBox();
  const target = await node(page, to).locator('.react-flow__handle.target').first().boundingBox();
  assert.ok(source && target, `handles of ${from} and ${to}`);
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move((source.x + target.x) / 2, (source.y + target.y) / 2, { steps: 5 });
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 5 });
  await page.mouse.up();
}

describe('the pipeline editor', { skip }, () => {
  let env: UiTestEnv;
  let pipelineUrl = '';
  before(async () => {
    env = await startUiTest();
  });
  after(() => env?.close());

  it('builds a 3-node pipeline from the palette, runs it live, publishes it and runs the published version for a client, who reads the result', async () => {
    const page = await env.newPage();
    await signIn(page, 'manager@acme.test');
    await withFailureScreenshot(page, 'editor-build', async () => {
      await page.getByRole('heading', { name: 'Pipelines' }).waitFor();

      await page.getByRole('button', { name: 'New pipeline' }).click();
      const dialog = page.getByRole('dialog', { name: 'New pipeline' });
      await dialog.getByLabel('Name').fill('Greeting');
      await dialog.getByLabel('Made for client').selectOption({ label: 'Acme Client (client@acme.test)' });
      await dialog.getByRole('button', { name: 'Create and open' }).click();
      await page.waitForURL(/\/manager\/pipelines\/[0-9a-f-]{36}$/);
      pipelineUrl = new URL(page.url()).pathname;

      // From the palette: drag the trigger onto the canvas, search and drag the delay, click to add the transform.
      await page.getByText('Drag a node from the palette').waitFor();
      await dragFromPalette(page, 'core.manual', 150, 200);
      await page.getByLabel('Search nodes').fill('delay');
      await dragFromPalette(page, 'core.delay', 420, 200);
      await page.getByLabel('Search nodes').fill('');
      await page.locator('.palette-item[data-node-type="core.transform"]').click();
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1']);

      await page.getByRole('button', { name: 'Fit View', exact: true }).click();
      // Fill the forms generated from the args schemas.
      await node(page, 'delay_1').click();
      await page.getByLabel('Milliseconds').fill('700');
      await node(page, 'transform_1').click();
      await page.getByLabel('Code').fill("return { greeting: 'Hello, ' + input.name + '!' };");

      await page.getByRole('button', { name: 'Fit View', exact: true }).click();
      await connect(page, 'manual_1', 'delay_1');
      await connect(page, 'delay_1', 'transform_1');
      await expectEdgeCount(page, 2);
      await screenshot(page, 'editor-built');

      await page.keyboard.press(`${MOD}+s`);
      await page.locator('.badge', { hasText: /^saved$/ }).waitFor();
      const saved = (await env.server.request('GET', `/api/pipelines/${pipelineUrl.split('/').pop()}`, { token: await env.server.login('manager@acme.test') })).body;
      assert.deepEqual(
        saved.graph.edges.map((edge: { source: string; target: string }) => `${edge.source}->${edge.target}`).sort(),
        ['delay_1->transform_1', 'manual_1->delay_1'],
      );
      assert.equal(saved.graph.nodes.find((item: { id: string }) => item.id === 'delay_1').data.args.ms, 700);

      // Play: every node turns green live; the delay is seen running first.
      await page.getByRole('button', { name: '▶ Play' }).click();
      await page.getByLabel('Input (JSON)').fill('{ "name": "Ada" }');
      await page.getByRole('button', { name: '▶ Run test' }).click();
      await node(page, 'delay_1').locator('[data-status="running"]').waitFor();
      await screenshot(page, 'editor-running');
      for (const id of ['manual_1', 'delay_1', 'transform_1']) await node(page, id).locator('[data-status="succeeded"]').waitFor();
      const runPanel = page.getByRole('region', { name: 'Run' });
      await runPanel.getByText('succeeded', { exact: true }).first().waitFor();
      await runPanel.getByText('Hello, Ada!', { exact: true }).waitFor();
      await screenshot(page, 'editor-test-run');

      // Publish, enable, and run version 1 for the client.
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await page.getByText('Published version 1').waitFor();
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
      await page.getByLabel('Enabled: production runs, webhooks and schedules work').check();
      await page.getByRole('button', { name: 'Run published' }).click();
      const runDialog = page.getByRole('dialog', { name: 'Run a published version' });
      assert.equal(await runDialog.getByLabel('For client').inputValue(), saved.clientId);
      await runDialog.getByLabel('Input (JSON)').fill('{ "name": "Acme Client" }');
      await runDialog.getByRole('button', { name: '▶ Run' }).click();
      await runPanel.getByText('Run of v1').waitFor();
      await runPanel.getByText('Hello, Acme Client!', { exact: true }).waitFor();
      await screenshot(page, 'editor-published-run');

      // The client reads that result in the portal.
      const client = await env.newPage();
      await signIn(client, 'client@acme.test');
      await client.getByRole('row').filter({ hasText: 'Greeting' }).getByRole('link', { name: 'Greeting' }).click();
      await client.getByText('Hello, Acme Client!').waitFor();
      await screenshot(client, 'client-reads-result');
    });
  });

  it('undoes, redoes, copies and pastes with the keyboard', async () => {
    const page = await env.newPage();
    await signIn(page, 'manager@acme.test');
    await page.goto(pipelineUrl);
    await withFailureScreenshot(page, 'editor-keyboard', async () => {
      await node(page, 'transform_1').waitFor();

      await node(page, 'transform_1').click();
      await page.keyboard.press(`${MOD}+c`);
      await page.keyboard.press(`${MOD}+v`);
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1', 'transform_2']);
      await page.keyboard.press(`${MOD}+v`);
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1', 'transform_2', 'transform_3']);
      await screenshot(page, 'editor-pasted');

      await page.keyboard.press(`${MOD}+z`);
      await page.keyboard.press(`${MOD}+z`);
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1']);
      await page.keyboard.press(`${MOD}+Shift+z`);
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1', 'transform_2']);
      await page.keyboard.press(`${MOD}+y`);
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1', 'transform_2', 'transform_3']);

      // Copying two connected nodes copies the edge between them; deleting and undoing restores both.
      await page.keyboard.press(`${MOD}+z`);
      await page.keyboard.press(`${MOD}+z`);
      await node(page, 'manual_1').click();
      await node(page, 'delay_1').click({ modifiers: ['Shift'] });
      await page.keyboard.press(`${MOD}+c`);
      await page.keyboard.press(`${MOD}+v`);
      await expectNodeIds(page, ['delay_1', 'delay_2', 'manual_1', 'manual_2', 'transform_1']);
      await expectEdgeCount(page, 3);
      await page.keyboard.press('Delete');
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1']);
      await page.keyboard.press(`${MOD}+z`);
      await expectEdgeCount(page, 3);
      // Deleting nodes with their edges was one step: the next undo takes back the paste.
      await page.keyboard.press(`${MOD}+z`);
      await expectNodeIds(page, ['delay_1', 'manual_1', 'transform_1']);
      await expectEdgeCount(page, 2);

      // A form edit is one undo step.
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
      await node(page, 'delay_1').click();
      await page.getByLabel('Milliseconds').fill('1234');
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
      await page.keyboard.press(`${MOD}+z`);
      await node(page, 'delay_1').click();
      await eventually(async () => assert.equal(await page.getByLabel('Milliseconds').inputValue(), '700'));
      await screenshot(page, 'editor-undo');
    });
  });

  it("renders a plugin's own form widget, loaded by module federation from the plugin's UI remote", async () => {
    const page = await env.newPage();
    await signIn(page, 'manager@acme.test');
    await page.goto(pipelineUrl);
    await withFailureScreenshot(page, 'editor-plugin-widget', async () => {
        await page.getByLabel('Search nodes').fill('csv');
        await page.locator('.palette-item[data-node-type="files.csvParse"]').click();
        const widget = page.getByRole('complementary', { name: 'Node' }).locator('[data-piper-widget="delimiter"]');
        await widget.waitFor();
        await widget.getByRole('combobox').selectOption({ label: 'Semicolon ;' });
        await page.keyboard.press(`${MOD}+s`);
        await page.locator('.badge', { hasText: /^saved$/ }).waitFor();
        const saved = (await env.server.request('GET', `/api/pipelines/${pipelineUrl.split('/').pop()}`, { token: await env.server.login('manager@acme.test') })).body;
        assert.equal(saved.graph.nodes.find((item: { type: string }) => item.type === 'files.csvParse').data.args.delimiter, ';');
        await screenshot(page, 'editor-plugin-widget');
    });
  });
});
