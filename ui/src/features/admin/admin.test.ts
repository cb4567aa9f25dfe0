/**
 * The admin console against the real server in a real browser: client assignments, a plugin
 * installed by upload, the audit log with before/after, a credential's masked secret, a service
 * account's one-time token, and a screenshot of every page.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, screenshot, signIn, startUiTest, type UiTestEnv } from '../../testing/browser.js';

const run = promisify(execFile);
const skip = browserSkip(import.meta.filename);
const PLUGIN = '@acme/piper-admin-ui-test';
const NODE_TYPE = 'adminUiTest.hello';

/** A minimal valid plugin package, packed by the real npm as an upload would be. */
async function pluginTarball(work: string): Promise<string> {
  const dir = path.join(work, 'plugin');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: PLUGIN, version: '1.0.0', type: 'module', piper: { plugin: 'index.js' }, peerDependencies: { '@piper/sdk': '*' } }),
  );
  await fs.writeFile(
    path.join(dir, 'index.js'),
    `import { defineNode, definePlugin } from '@piper/sdk';
export default definePlugin({
  id: '${PLUGIN}',
  version: '1.0.0',
  nodes: [defineNode({
    type: '${NODE_TYPE}', version: '1.0.0', name: 'Hello (admin UI test)', category: 'Tests',
    args: { type: 'object', properties: { name: { type: 'string', default: 'world' } } },
    handler: (input, args) => ({ greeting: 'Hello ' + args.name }),
  })],
});
`,
  );
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: dir });
  return path.join(work, JSON.parse(stdout)[0].filename as string);
}

describe('admin console', { skip }, () => {
  let env: UiTestEnv;
  let page: Page;
  let token: string;
  let work: string;
  const api = async (method: string, url: string, body?: unknown) => {
    const response = await env.server.request(method, url, { token, body });
    assert.ok(response.status < 300, `${method} ${url} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const userId = async (email: string) => ((await api('GET', '/api/users')) as Array<{ id: string; email: string }>).find((user) => user.email === email)!.id;

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'piper-admin-ui-'));
    env = await startUiTest();
    token = await env.server.login('admin@acme.test');
    page = await env.newPage();
    await signIn(page, 'admin@acme.test');
  });
  after(async () => {
    await env?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('assigns client2 to the manager through the users page', async () => {
    await page.goto('/admin');
    await page.waitForURL('**/admin/users');
    await page.locator('tr[data-email="client2@acme.test"]').waitFor();
    await screenshot(page, 'admin-users');
    await page.getByRole('button', { name: 'Clients of manager@acme.test' }).click();
    const dialog = page.getByRole('dialog', { name: /Clients of/ });
    const client = dialog.getByRole('checkbox', { name: /client@acme\.test/ });
    await client.waitFor();
    assert.equal(await client.isChecked(), true, 'the seeded assignment is loaded');
    await dialog.getByRole('checkbox', { name: /client2@acme\.test/ }).check();
    await screenshot(page, 'admin-users-clients');
    await dialog.getByRole('button', { name: 'Save assignments' }).click();
    await dialog.waitFor({ state: 'detached' });

    const clients = (await api('GET', `/api/users/${await userId('manager@acme.test')}/clients`)) as Array<{ email: string }>;
    assert.deepEqual(clients.map((c) => c.email).sort(), ['client2@acme.test', 'client@acme.test']);
  });

  it('installs a plugin by uploading its .tgz; its node type is then available', async () => {
    const tarball = await pluginTarball(work);
    await page.getByRole('link', { name: 'Plugins' }).click();
    await page.getByText('Plugins are trusted server code: they run inside the Piper server with its permissions. Install only packages you trust.').waitFor();
    await page.getByRole('button', { name: 'Install plugin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Install plugin' });
    await dialog.getByRole('tab', { name: 'Upload a .tgz' }).click();
    await dialog.getByLabel(/Package file/).setInputFiles(tarball);
    await dialog.getByRole('button', { name: 'Install' }).click();
    await page.getByRole('status').filter({ hasText: `${PLUGIN}@1.0.0 is installed` }).waitFor({ timeout: 120_000 });
    const row = page.locator(`tr[data-package="${PLUGIN}"]`);
    await row.getByText('loaded').waitFor();
    await row.getByText(`${NODE_TYPE}@1.0.0`).waitFor();
    await screenshot(page, 'admin-plugins');

    const types = (await api('GET', '/api/node-types')) as Array<{ type: string; version: string }>;
    assert.ok(types.some((type) => type.type === NODE_TYPE && type.version === '1.0.0'), 'the uploaded node type is listed');

    // Disabling it for the org hides its node type (and records an org event in the audit log).
    // The box follows the server's answer, so it is clicked rather than unchecked.
    await row.getByRole('checkbox', { name: /Enabled for this org/ }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    const hidden = (await api('GET', '/api/node-types')) as Array<{ type: string }>;
    assert.ok(!hidden.some((type) => type.type === NODE_TYPE));
    await row.getByRole('checkbox', { name: /Enabled for this org/ }).click();
    await row.getByText('enabled', { exact: true }).waitFor();

    // A published pipeline uses the node type: removal is refused, and the dialog says why and where.
    const groups = (await api('GET', '/api/groups')) as Array<{ id: string; name: string }>;
    const pipeline = (await api('POST', '/api/pipelines', {
      name: 'Greets',
      groupId: groups.find((group) => group.name === 'default')!.id,
      graph: {
        nodes: [
          { id: 'start', type: 'core.manual', position: { x: 0, y: 0 }, data: { args: {} } },
          { id: 'hello', type: NODE_TYPE, position: { x: 200, y: 0 }, data: { version: '1.0.0', args: { name: 'Piper' } } },
        ],
        edges: [{ id: 'start->hello', source: 'start', target: 'hello' }],
      },
    })) as { id: string };
    await api('POST', `/api/pipelines/${pipeline.id}/versions`);
    await row.getByRole('button', { name: `Remove ${PLUGIN}@1.0.0` }).click();
    const remove = page.getByRole('dialog', { name: 'Remove plugin' });
    await remove.getByRole('button', { name: 'Remove plugin' }).click();
    await remove.getByText('This version cannot be removed: it is in use.').waitFor();
    await remove.getByRole('listitem').filter({ hasText: 'Greets' }).waitFor();
    await screenshot(page, 'admin-plugins-in-use');
    await remove.getByRole('button', { name: 'OK' }).click();
    assert.ok(((await api('GET', '/api/node-types')) as Array<{ type: string }>).some((type) => type.type === NODE_TYPE), 'still installed');
  });

  it('reads the audit log: the assignment with its before and after, expanded', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    const assignment = page.locator('tr[data-action="user.clients_assigned"]').first();
    await assignment.waitFor();
    await page.locator('tr[data-action="plugin.org_enablement_changed"]').first().waitFor();
    await assignment.getByRole('button', { name: /Show details of user.clients_assigned/ }).click();
    const before = page.getByRole('region', { name: 'Before' });
    const afterSide = page.getByRole('region', { name: 'After' });
    await afterSide.waitFor();
    const client2 = await userId('client2@acme.test');
    assert.ok((await afterSide.textContent())!.includes(client2), 'the after side lists client2');
    assert.ok(!(await before.textContent())!.includes(client2), 'the before side does not');
    assert.equal(await afterSide.locator('[data-changed]').count(), 1, 'clientIds is highlighted as changed');
    await screenshot(page, 'admin-audit');

    // The filter narrows to one action.
    await page.getByLabel('Action').fill('user.clients_assigned');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/action=user.clients_assigned/);
    await page.locator('tr[data-action="plugin.org_enablement_changed"]').waitFor({ state: 'detached' });
    await page.locator('tr[data-action="user.clients_assigned"]').first().waitFor();
    assert.equal(await page.locator('tr[data-action]').count(), await page.locator('tr[data-action="user.clients_assigned"]').count());
  });

  it('shows the plugin install in the audit log', async () => {
    await page.getByLabel('Action').fill('plugin.installed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/action=plugin.installed/);
    const install = page.locator('tr[data-action="plugin.installed"]').first();
    await install.waitFor();
    await install.getByRole('button', { name: /Show details of plugin.installed/ }).click();
    await page.getByRole('region', { name: 'After' }).getByText(PLUGIN).first().waitFor();
    await screenshot(page, 'admin-audit-plugin');
  });

  it('creates a credential whose secret comes back masked, and tests it', async () => {
    await page.getByRole('link', { name: 'Credentials' }).click();
    await page.getByRole('button', { name: 'New credential' }).click();
    const dialog = page.getByRole('dialog', { name: 'New credential' });
    await dialog.getByLabel('Name', { exact: true }).fill('Orders API');
    await dialog.getByLabel(/^Type/).selectOption('core.httpAuth');
    await screenshot(page, 'admin-credentials-new');
    // Each kind shows its own fields alone.
    await dialog.getByLabel(/^Kind/).selectOption({ label: 'OAuth2 client credentials' });
    await dialog.locator('#credential_scope').waitFor();
    assert.equal(await dialog.locator('#credential_token').count(), 0);
    await dialog.locator('#credential_clientId').fill('left-behind');
    await dialog.getByLabel(/^Kind/).selectOption({ label: 'Bearer token' });
    await dialog.locator('#credential_token').waitFor();
    assert.equal(await dialog.locator('#credential_scope, #credential_clientId, #credential_username').count(), 0);
    const secret = dialog.locator('#credential_token');
    assert.equal(await secret.getAttribute('type'), 'password', 'secret fields are password inputs');
    await secret.fill('very-secret-token-123');
    await dialog.getByRole('button', { name: 'Create credential' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.locator('tr[data-name="Orders API"]');
    await row.waitFor();

    const stored = (await api('GET', '/api/credentials')) as Array<{ name: string; data: Record<string, unknown> }>;
    assert.deepEqual(stored.find((c) => c.name === 'Orders API')!.data, { kind: 'bearer', token: '********' }, 'the other kind\'s field is not sent');

    await row.getByRole('button', { name: 'Test Orders API' }).click();
    await row.getByText(/Well-formed/).waitFor();
    await screenshot(page, 'admin-credentials');

    await row.getByRole('button', { name: 'Edit Orders API' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Orders API' });
    assert.equal(await edit.locator('#credential_token').inputValue(), '********', 'the secret is masked in the form');
    await edit.getByText(/Leave them masked to keep the stored values/).waitFor();
    assert.ok(!(await page.content()).includes('very-secret-token-123'), 'the secret never reaches the page');
    await screenshot(page, 'admin-credentials-edit');
    // Saved with the mask, the stored secret stays (the test would fail with a token "********" either way; the API check is exact).
    await edit.getByLabel('Name', { exact: true }).fill('Orders API v2');
    await edit.getByRole('button', { name: 'Save credential' }).click();
    await edit.waitFor({ state: 'detached' });
    await page.locator('tr[data-name="Orders API v2"]').waitFor();
  });

  it('creates a service account whose token is shown once', async () => {
    await page.getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('button', { name: 'New service account' }).click();
    const dialog = page.getByRole('dialog', { name: 'New service account' });
    await dialog.getByLabel('Name').fill('ci-deploys');
    await dialog.getByRole('checkbox', { name: 'default' }).check();
    await dialog.getByRole('button', { name: 'Create' }).click();
    const tokenDialog = page.getByRole('dialog', { name: 'Token of ci-deploys' });
    await tokenDialog.getByText('it is shown only once').waitFor();
    const value = await tokenDialog.getByLabel('Token').inputValue();
    assert.ok(value.length > 20);
    assert.ok(tokenDialog.getByRole('button', { name: 'Copy' }));
    await screenshot(page, 'admin-service-accounts-token');
    // The token authenticates (a refusal for lack of rights is fine; an unknown token is a 401).
    const works = await env.server.request('GET', '/api/pipelines', { token: value });
    assert.notEqual(works.status, 401, 'the token shown authenticates');
    await tokenDialog.getByRole('button', { name: 'I have stored the token' }).click();
    await tokenDialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'ci-deploys', exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(value), 'the token is gone once the dialog closes');
    await screenshot(page, 'admin-service-accounts');
  });

  it('defines a script node type (new versions), a group with a member, a user (weak password refused) then deleted, and settings', async () => {
    await page.getByRole('link', { name: 'Script nodes' }).click();
    await page.getByRole('link', { name: 'New script node type' }).click();
    await page.getByLabel('Type key').fill('acme.uiDefined');
    await page.getByLabel('Name', { exact: true }).fill('UI defined');
    await page.getByLabel('Language').selectOption('bash');
    // The shell template is highlighted: its comment is a token of its own.
    await page.getByRole('textbox', { name: 'Code' }).locator('span', { hasText: /^# stdin carries the input/ }).waitFor();
    await page.getByRole('complementary', { name: 'Form preview' }).waitFor();
    const argsEditor = page.getByRole('textbox', { name: 'Args schema' });
    await argsEditor.fill('{ "type": "object", "properties": { "factor": ');
    await page.getByRole('alert').filter({ hasText: /JSON|Unexpected|position/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create node type' }).isDisabled(), true, 'no save while the schema does not parse');
    await argsEditor.fill('{ "type": "object", "properties": { "factor": { "type": "integer", "title": "Factor", "default": 2 } } }');
    await page.getByRole('complementary', { name: 'Form preview' }).getByLabel('Factor').waitFor();
    await page.getByRole('button', { name: 'Create node type' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 1.0.0' }).waitFor();
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2.0.0' }).waitFor();
    await page.getByRole('cell', { name: 'v1.0.0' }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'admin-node-types-edit');
    const types = (await api('GET', '/api/node-types')) as Array<{ type: string; version: string; argsSchema: { properties: object } }>;
    const defined = types.filter((type) => type.type === 'acme.uiDefined');
    assert.deepEqual(defined.map((type) => type.version).sort(), ['1.0.0', '2.0.0']);
    assert.ok('factor' in defined[0]!.argsSchema.properties);
    await page.getByRole('link', { name: 'All script nodes' }).click();
    await page.getByRole('link', { name: 'UI defined' }).waitFor();
    await screenshot(page, 'admin-node-types');

    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('cell', { name: 'default', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New group' }).click();
    await page.getByRole('dialog', { name: 'New group' }).getByLabel('Name').fill('ops');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('button', { name: 'Members of ops' }).click();
    const members = page.getByRole('dialog', { name: 'Members of ops' });
    await members.getByRole('checkbox', { name: /manager@acme\.test/ }).check();
    await members.getByRole('button', { name: 'Save members' }).click();
    await members.waitFor({ state: 'detached' });
    const ops = ((await api('GET', '/api/groups')) as Array<{ name: string; memberIds: string[] }>).find((group) => group.name === 'ops')!;
    assert.deepEqual(ops.memberIds, [await userId('manager@acme.test')]);
    await screenshot(page, 'admin-groups');

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const create = page.getByRole('dialog', { name: 'New user' });
    await create.getByLabel('Name').fill('Temp Client');
    await create.getByLabel('Email').fill('temp@acme.test');
    await create.getByLabel('Initial password').fill('short');
    await create.getByRole('button', { name: 'Create user' }).click();
    await create.getByRole('alert').waitFor();
    await create.getByLabel('Initial password').fill('a-long-enough-password-42');
    await create.getByRole('button', { name: 'Create user' }).click();
    await create.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Delete temp@acme.test' }).click();
    await page.getByRole('dialog', { name: 'Delete user' }).getByRole('button', { name: 'Delete user' }).click();
    await page.locator('tr[data-email="temp@acme.test"]').waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'Settings' }).click();
    const memory = page.getByRole('spinbutton').first();
    await memory.waitFor();
    await memory.fill('4');
    await page.getByText(/Between 8 and 1,024 MB/).waitFor();
    await memory.fill('96');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    assert.equal(((await api('GET', '/api/settings')) as { sandbox: { memoryMb: number } }).sandbox.memoryMb, 96);
    await screenshot(page, 'admin-settings');
  });
});
