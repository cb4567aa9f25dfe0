import { defineCredentialType } from '@piper/sdk';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

/** What an `email.smtp` credential holds once decrypted. */
export interface SmtpAccount {
  host: string;
  port?: number;
  secure?: boolean;
  requireTls?: boolean;
  allowInvalidCertificates?: boolean;
  user?: string;
  password?: string;
  from?: string;
}

const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 60_000;

export const smtpCredential = defineCredentialType({
  type: 'email.smtp',
  name: 'SMTP server',
  schema: {
    type: 'object',
    required: ['host'],
    properties: {
      host: { type: 'string', minLength: 1, title: 'Host' },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 587, title: 'Port', description: '587 (STARTTLS) or 465 (TLS) usually; 25 between servers' },
      secure: { type: 'boolean', default: false, title: 'TLS from the start', description: 'On for port 465. Off: STARTTLS is used whenever the server offers it' },
      requireTls: { type: 'boolean', default: false, title: 'Require STARTTLS', description: 'Refuse to send when the server does not offer STARTTLS' },
      allowInvalidCertificates: { type: 'boolean', default: false, title: 'Accept an invalid or self-signed certificate' },
      user: { type: 'string', title: 'User' },
      password: { type: 'string', title: 'Password' },
      from: { type: 'string', title: 'Default sender', description: 'For example "Acme Reports <reports@acme.example>"' },
    },
  } as const,
  ui: {
    'ui:order': ['host', 'port', 'secure', 'requireTls', 'allowInvalidCertificates', 'user', 'password', 'from'],
    password: { 'ui:widget': 'password' },
  },
  secretFields: ['password'],
  async test(data, { signal }) {
    const account = data as SmtpAccount;
    const transport = createTransport(account);
    const abort = () => transport.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await transport.verify();
      return { ok: true, message: `Connected to ${target(account)}${account.user ? ` and logged in as ${account.user}` : ''}` };
    } catch (error) {
      return { ok: false, message: describeSmtpError(error, account) };
    } finally {
      signal.removeEventListener('abort', abort);
      transport.close();
    }
  },
});

export function createTransport(account: SmtpAccount) {
  const options: SMTPTransport.Options = {
    host: account.host,
    port: account.port ?? 587,
    secure: account.secure ?? false,
    requireTLS: account.requireTls ?? false,
    tls: { rejectUnauthorized: !account.allowInvalidCertificates },
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    ...(account.user ? { auth: { user: account.user, pass: account.password ?? '' } } : {}),
  };
  return nodemailer.createTransport(options);
}

function target(account: SmtpAccount): string {
  return `${account.host}:${account.port ?? 587}`;
}

/** A readable sentence for a failed SMTP exchange: what went wrong, and the server's own answer. */
export function describeSmtpError(error: unknown, account: SmtpAccount): string {
  const failure = error as { code?: string; response?: string; responseCode?: number; command?: string; message?: string; rejected?: string[] };
  const server = target(account);
  const answer = failure.response ? ` (the server answered: ${failure.response})` : '';
  let sentence: string;
  switch (failure.code) {
    case 'EAUTH':
      sentence = `${server} refused the login of ${account.user ?? 'the account'}${answer || `: ${failure.message}`}`;
      break;
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
      sentence = `Could not reach the SMTP server ${server}: ${failure.message}`;
      break;
    case 'ETIMEDOUT':
      sentence = `The SMTP server ${server} did not answer in time: ${failure.message}`;
      break;
    case 'ETLS':
      sentence = `TLS with ${server} failed: ${failure.message}`;
      break;
    case 'EENVELOPE':
      sentence = `${server} refused the envelope${failure.rejected?.length ? ` (recipients ${failure.rejected.join(', ')})` : ''}${answer || `: ${failure.message}`}`;
      break;
    case 'EMESSAGE':
    case 'EPROTOCOL':
      sentence = `${server} refused the message${answer || `: ${failure.message}`}`;
      break;
    default:
      sentence = `Sending through ${server} failed: ${failure.message ?? String(error)}`;
  }
  return account.password && account.password.length >= 3 ? sentence.split(account.password).join('********') : sentence;
}
