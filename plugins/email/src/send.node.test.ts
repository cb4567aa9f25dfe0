import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createMockContext, runNode } from '@piper/sdk/testing';
import type { SMTPServer } from 'smtp-server';
import plugin from './index.js';
import { sendNode } from './send.node.js';
import { smtpCredential, type SmtpAccount } from './smtp.js';
import { PASSWORD, startSmtp, USER, type Received } from './smtp-server.test-helper.js';

let received: Received[] = [];
let plain: { server: SMTPServer; port: number };
let tls: { server: SMTPServer; port: number };
let account: SmtpAccount;

before(async () => {
  plain = await startSmtp({ starttls: false, received: (message) => received.push(message) });
  tls = await startSmtp({ starttls: true, received: (message) => received.push(message) });
  account = { host: '127.0.0.1', port: plain.port, user: USER, password: PASSWORD, from: 'Piper Reports <reports@acme.example>' };
});
after(async () => {
  await new Promise<void>((resolve) => plain.server.close(() => resolve()));
  await new Promise<void>((resolve) => tls.server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
});

const testCredential = (data: SmtpAccount) => smtpCredential.test!(data as never, { signal: new AbortController().signal });

describe('email.smtp', () => {
  it('passes its test when the server accepts the login', async () => {
    assert.deepEqual(await testCredential(account), { ok: true, message: `Connected to 127.0.0.1:${plain.port} and logged in as mailer` });
  });

  it('fails its test with the server\'s answer, never the password', async () => {
    const wrong = await testCredential({ ...account, password: 'wrong-password' });
    assert.equal(wrong.ok, false);
    assert.match(wrong.message, new RegExp(`^127\\.0\\.0\\.1:${plain.port} refused the login of mailer \\(the server answered: 535 Authentication credentials invalid\\)$`));
    assert.ok(!wrong.message.includes('wrong-password'));
    const closed = await testCredential({ ...account, port: 1 });
    assert.equal(closed.ok, false);
    assert.match(closed.message, /^Could not reach the SMTP server 127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  it('checks the certificate of STARTTLS unless told to accept an invalid one', async () => {
    const strict = await testCredential({ ...account, port: tls.port });
    assert.equal(strict.ok, false);
    assert.match(strict.message, /certificate/i);
    const lenient = await testCredential({ ...account, port: tls.port, allowInvalidCertificates: true });
    assert.equal(lenient.ok, true, lenient.message);
    const required = await testCredential({ ...account, requireTls: true });
    assert.equal(required.ok, false, 'a server without STARTTLS is refused when TLS is required');
  });
});

describe('email.send', () => {
  it('delivers to, cc and bcc with text, html and attachments from the run and inline', async () => {
    const ctx = createMockContext();
    const report = await ctx.files.write('report.csv', 'id,name\n1,apple\n', 'text/csv');
    const result = await runNode(sendNode, {
      args: {
        to: 'ann@example.test, bob@example.test',
        cc: ['carol@example.test'],
        bcc: 'dave@example.test',
        replyTo: 'support@acme.example',
        subject: 'Daily report — ünïcode',
        text: 'Hello, the report is attached.',
        html: '<p>Hello, the <b>report</b> is attached.</p>',
        attachments: [{ artifact: report }, { filename: 'note.txt', content: 'a note' }, { filename: 'logo.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64', contentType: 'application/octet-stream' }],
      },
      credentials: account,
      ctx: { files: ctx.files, idempotencyKey: 'run-1:send' },
    });
    assert.equal(received.length, 1);
    const [message] = received as [Received];
    assert.equal(message.from, 'reports@acme.example');
    assert.deepEqual(message.to.sort(), ['ann@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test']);
    assert.equal(message.mail.subject, 'Daily report — ünïcode');
    assert.equal(message.mail.text?.trim(), 'Hello, the report is attached.');
    assert.equal(message.mail.html, '<p>Hello, the <b>report</b> is attached.</p>');
    assert.equal(message.mail.from?.text, '"Piper Reports" <reports@acme.example>');
    assert.equal(message.mail.replyTo?.text, 'support@acme.example');
    assert.ok(!/dave@example\.test/.test(message.raw.split(/\r?\n\r?\n/)[0]!), 'bcc is not in the headers');
    assert.deepEqual(
      message.mail.attachments.map((file) => [file.filename, file.contentType, file.content.toString('base64')]),
      [
        ['report.csv', 'text/csv', Buffer.from('id,name\n1,apple\n').toString('base64')],
        ['note.txt', 'text/plain', Buffer.from('a note').toString('base64')],
        ['logo.bin', 'application/octet-stream', Buffer.from([0, 1, 2, 255]).toString('base64')],
      ],
    );
    const output = result.output as { messageId: string; accepted: string[]; rejected: string[]; response: string };
    assert.equal(output.messageId, message.mail.messageId);
    assert.match(output.messageId, /^<[0-9a-f]{32}@acme\.example>$/);
    assert.equal(output.accepted.length, 4);
    assert.deepEqual(output.rejected, []);
    assert.match(output.response, /^250 /);
  });

  it('keeps the Message-ID across retries of the node, so a resent message can be told apart', async () => {
    const send = (attempt: number) => runNode(sendNode, { args: { to: 'ann@example.test', subject: 's', text: 't' }, credentials: account, ctx: { attempt, idempotencyKey: 'run-2:send' } });
    const [first, second] = [await send(1), await send(2)];
    assert.equal((first.output as { messageId: string }).messageId, (second.output as { messageId: string }).messageId);
    const other = await runNode(sendNode, { args: { to: 'ann@example.test', subject: 's', text: 't' }, credentials: account, ctx: { idempotencyKey: 'run-3:send' } });
    assert.notEqual((other.output as { messageId: string }).messageId, (first.output as { messageId: string }).messageId);
  });

  it('goes through STARTTLS when the credential accepts the test server\'s certificate', async () => {
    await runNode(sendNode, { args: { to: 'ann@example.test', subject: 'over TLS', text: 'secret' }, credentials: { ...account, port: tls.port, allowInvalidCertificates: true } });
    assert.equal(received[0]?.mail.subject, 'over TLS');
  });

  it('reports refused recipients, and fails readably when every recipient is refused', async () => {
    const partly = await runNode(sendNode, { args: { to: ['ann@example.test', 'nobody@example.test'], subject: 's', text: 't' }, credentials: account });
    assert.deepEqual((partly.output as { rejected: string[] }).rejected, ['nobody@example.test']);
    assert.ok(partly.ctx.logs.some((line) => line.level === 'warn' && line.message.includes('nobody@example.test')));
    await assert.rejects(
      runNode(sendNode, { args: { to: 'nobody@example.test', subject: 's', text: 't' }, credentials: account }),
      new RegExp(`^Error: 127\\.0\\.0\\.1:${plain.port} refused the envelope \\(recipients nobody@example\\.test\\).*550`),
    );
  });

  it('says what is missing before connecting', async () => {
    await assert.rejects(runNode(sendNode, { args: { to: 'a@example.test', subject: 's' }, credentials: { ...account, from: undefined } }), /No sender: set "from"/);
    await assert.rejects(runNode(sendNode, { args: { subject: 's' }, credentials: account }), /No recipient/);
    await assert.rejects(runNode(sendNode, { args: { to: 'a@example.test', subject: 's', attachments: [{ artifact: 'file-404' }] }, credentials: account }), /no artifact file-404/);
    await assert.rejects(runNode(sendNode, { args: { to: 'a@example.test', subject: 's', attachments: [{ content: 'x' }] }, credentials: account }), /Attachment 1: give a "filename"/);
    await assert.rejects(runNode(sendNode, { args: { to: 'a@example.test', subject: 's', attachments: [{ filename: 'x' }] }, credentials: account }), /Attachment 1: give either "artifact"/);
    assert.equal(received.length, 0);
  });

  it('fails with the server\'s answer when the login is refused, never with the password', async () => {
    const error = await runNode(sendNode, { args: { to: 'a@example.test', subject: 's', text: 't' }, credentials: { ...account, password: 'bad-password-123' } }).catch((e: Error) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /refused the login of mailer \(the server answered: 535 Authentication credentials invalid\)/);
    assert.ok(!error.message.includes('bad-password-123'));
  });

  it('never puts the password in outputs or logs', async () => {
    const result = await runNode(sendNode, { args: { to: 'a@example.test', subject: 's', text: 't' }, credentials: account });
    assert.ok(!JSON.stringify([result.output, result.ctx.logs]).includes(PASSWORD));
  });

  it('stops when the node is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(runNode(sendNode, { args: { to: 'a@example.test', subject: 's', text: 't' }, credentials: account, ctx: { signal: controller.signal } }));
    assert.equal(received.length, 0);
  });
});

describe('the plugin', () => {
  it('is the package it ships in', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(plugin.id, manifest.name);
    assert.equal(plugin.version, manifest.version);
    assert.deepEqual(smtpCredential.secretFields, ['password']);
  });
});
