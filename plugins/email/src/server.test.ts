/** The plugin inside a real Piper server: a stored SMTP credential, a run that sends a file of the run. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineNode, definePlugin } from '@piper/sdk';
import type { SMTPServer } from 'smtp-server';
import { startTestServer, type TestServer } from '../../../core/src/testing/harness.js';
import { edge, node, nodeOf, PipelineDriver } from '../../../core/src/testing/pipelines.js';
import plugin from './index.js';
import { PASSWORD, startSmtp, USER, type Received } from './smtp-server.test-helper.js';

let server: TestServer;
let driver: PipelineDriver;
let smtp: { server: SMTPServer; port: number };
const received: Received[] = [];
let credentialId: string;

/** A node that writes a file, as any plugin would, so that email.send has a file of the run to attach. */
const reportPlugin = definePlugin({
  id: '@test/report',
  version: '1.0.0',
  nodes: [
    defineNode({
      type: 'test.report',
      version: '1.0.0',
      name: 'Write a report',
      args: { type: 'object', properties: {} } as const,
      async handler(_input, _args, ctx) {
        return { file: await ctx.files.write('report.csv', 'id,total\n1,42\n', 'text/csv') };
      },
    }),
  ],
});

before(async () => {
  smtp = await startSmtp({ starttls: false, received: (message) => received.push(message) });
  server = await startTestServer();
  // First-party plugins are always present once the server loads them; until then, register this one.
  if (!server.services.registry.latest('email.send')) server.services.registry.register(plugin);
  server.services.registry.register(reportPlugin);
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
  const created = await server.request('POST', '/api/credentials', {
    token: driver.token,
    body: { name: 'mail', type: 'email.smtp', data: { host: '127.0.0.1', port: smtp.port, user: USER, password: PASSWORD, from: 'Acme <reports@acme.example>' } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  credentialId = created.body.id;
});
after(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
});

describe('@piper/plugin-email in a Piper server', () => {
  it('tests the stored credential against the SMTP server', async () => {
    const tested = await server.request('POST', `/api/credentials/${credentialId}/test`, { token: driver.token });
    assert.deepEqual(tested.body, { ok: true, message: `Connected to 127.0.0.1:${smtp.port} and logged in as mailer` });
    const shown = await server.request('GET', `/api/credentials/${credentialId}`, { token: driver.token });
    assert.ok(!JSON.stringify(shown.body).includes(PASSWORD));
  });

  it('sends a file written earlier in the run as an attachment, with the stored credential', async () => {
    const run = await driver.run(
      {
        nodes: [
          node('report', 'test.report'),
          node('mail', 'email.send', { to: '{{ $run.input.to }}', subject: 'Report for {{ $run.input.client }}', text: 'Attached.', attachments: [{ artifact: '{{ file }}' }] }, { credentialId }),
        ],
        edges: [edge('report', 'mail')],
      },
      { to: 'client@example.test', client: 'Globex' },
    );
    assert.equal(run.status, 'succeeded', JSON.stringify(run.nodes.map((n) => n.error)));
    assert.equal(received.length, 1);
    const [message] = received as [Received];
    assert.deepEqual(message.to, ['client@example.test']);
    assert.equal(message.mail.subject, 'Report for Globex');
    assert.deepEqual(message.mail.attachments.map((file) => [file.filename, file.content.toString()]), [['report.csv', 'id,total\n1,42\n']]);
    assert.deepEqual((nodeOf(run, 'mail').output as { accepted: string[] }).accepted, ['client@example.test']);
    const logs = await server.request('GET', `/api/runs/${run.id}/logs`, { token: driver.token });
    assert.ok(!JSON.stringify([run, logs.body]).includes(PASSWORD), 'the password is in no output or log');
  });

  it('fails the run with the SMTP server\'s answer', async () => {
    const run = await driver.run({ nodes: [node('mail', 'email.send', { to: 'nobody@example.test', subject: 's', text: 't' }, { credentialId })], edges: [] });
    assert.equal(run.status, 'failed');
    assert.match(nodeOf(run, 'mail').error?.message ?? '', /refused the envelope \(recipients nobody@example\.test\).*550/);
  });
});
