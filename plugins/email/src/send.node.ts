import { createHash } from 'node:crypto';
import { defineNode, type ArtifactRef, type NodeContext } from '@piper/sdk';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { createTransport, describeSmtpError, type SmtpAccount } from './smtp.js';

const addresses = {
  anyOf: [
    { type: 'string', description: 'One address, or several separated by commas' },
    { type: 'array', items: { type: 'string' } },
  ],
} as const;

interface AttachmentArg {
  artifact?: unknown;
  filename?: string;
  content?: string;
  encoding?: 'utf8' | 'base64';
  contentType?: string;
}

function artifactId(artifact: unknown): string | undefined {
  if (typeof artifact === 'string') return artifact;
  if (artifact && typeof artifact === 'object' && typeof (artifact as ArtifactRef).id === 'string') return (artifact as ArtifactRef).id;
  return undefined;
}

async function attachment(item: AttachmentArg, index: number, ctx: NodeContext): Promise<Mail.Attachment> {
  if (item.artifact !== undefined) {
    const id = artifactId(item.artifact);
    if (!id) throw new Error(`Attachment ${index + 1}: "artifact" must be an artifact of this run ({ id, name, … } as a node returned it) or its id`);
    const file = await ctx.files.read(id);
    return { filename: item.filename ?? file.name, content: Buffer.from(file.data), contentType: item.contentType ?? file.contentType };
  }
  if (item.content !== undefined) {
    if (!item.filename) throw new Error(`Attachment ${index + 1}: give a "filename" with the content`);
    return { filename: item.filename, content: Buffer.from(item.content, item.encoding ?? 'utf8'), ...(item.contentType ? { contentType: item.contentType } : {}) };
  }
  throw new Error(`Attachment ${index + 1}: give either "artifact" (a file of this run) or "content"`);
}

function count(list: string | string[] | undefined): number {
  if (!list) return 0;
  return (Array.isArray(list) ? list : list.split(',')).filter((address) => address.trim()).length;
}

/** The same across retries of this node in this run, so receivers can tell a resent message from a new one. */
function messageId(idempotencyKey: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'piper.invalid';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

export const sendNode = defineNode({
  type: 'email.send',
  version: '1.0.0',
  name: 'Send email',
  description: 'Sends an email through SMTP, with files of the run as attachments; outputs { messageId, accepted, rejected, response }',
  category: 'Communication',
  args: {
    type: 'object',
    required: ['subject'],
    properties: {
      to: { ...addresses, title: 'To' },
      cc: { ...addresses, title: 'Cc' },
      bcc: { ...addresses, title: 'Bcc' },
      subject: { type: 'string', title: 'Subject' },
      text: { type: 'string', title: 'Text body' },
      html: { type: 'string', title: 'HTML body' },
      from: { type: 'string', title: 'From', description: 'The credential\'s default sender when empty' },
      replyTo: { type: 'string', title: 'Reply to' },
      attachments: {
        type: 'array',
        title: 'Attachments',
        items: {
          type: 'object',
          properties: {
            artifact: { title: 'File of the run', description: 'The { id, name, … } an earlier node returned (for example "{{ file }}"), or its id' },
            filename: { type: 'string', title: 'File name' },
            content: { type: 'string', title: 'Content', description: 'Instead of a file of the run' },
            encoding: { type: 'string', enum: ['utf8', 'base64'], title: 'Encoding of the content', description: 'utf8 when empty' },
            contentType: { type: 'string', title: 'Content type' },
          },
        },
      },
    },
  } as const,
  ui: {
    'ui:order': ['to', 'cc', 'bcc', 'subject', 'text', 'html', 'from', 'replyTo', 'attachments'],
    text: { 'ui:widget': 'textarea', 'ui:options': { rows: 6 } },
    html: { 'ui:widget': 'textarea', 'ui:options': { rows: 6 } },
  },
  credential: { type: 'email.smtp', required: true },
  async handler(_input, args, ctx, credentials: SmtpAccount) {
    if (!credentials) throw new Error('email.send needs an email.smtp credential');
    const from = args.from || credentials.from;
    if (!from) throw new Error('No sender: set "from" in the node, or a default sender in the SMTP credential');
    const recipients = count(args.to) + count(args.cc) + count(args.bcc);
    if (recipients === 0) throw new Error('No recipient: set at least one of "to", "cc" or "bcc"');
    const attachments = await Promise.all((args.attachments ?? []).map((item, index) => attachment(item as AttachmentArg, index, ctx)));

    ctx.signal.throwIfAborted();
    const transport = createTransport(credentials);
    const abort = () => transport.close();
    ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      const info = await transport.sendMail({
        from,
        to: args.to,
        cc: args.cc,
        bcc: args.bcc,
        replyTo: args.replyTo,
        subject: args.subject,
        text: args.text,
        html: args.html,
        attachments,
        messageId: messageId(ctx.idempotencyKey, from),
      });
      const accepted = info.accepted.map(String);
      const rejected = info.rejected.map(String);
      if (rejected.length) ctx.log.warn(`The server refused ${rejected.length} recipient(s): ${rejected.join(', ')}`);
      ctx.log.info(`Sent "${args.subject}" to ${accepted.length} recipient(s) through ${credentials.host}:${credentials.port ?? 587}`);
      return { messageId: info.messageId, accepted, rejected, response: info.response };
    } catch (error) {
      if (ctx.signal.aborted) throw new Error('Sending was stopped because the node was aborted (run canceled or node timed out)');
      throw new Error(describeSmtpError(error, credentials));
    } finally {
      ctx.signal.removeEventListener('abort', abort);
      transport.close();
    }
  },
});
