import type { Knex } from 'knex';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';

export interface OutgoingEmail {
  orgId: string | null;
  to: string;
  subject: string;
  body: string;
  kind: string;
}

/**
 * Every email Piper sends is first written to the outbox, which org admins can read; with
 * PIPER_SMTP_URL set it is also delivered through SMTP once the transaction has committed.
 */
export class OutboxService {
  private readonly transport: Transporter | undefined;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    smtpUrl: string | undefined,
    private readonly from: string,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined;
  }

  async enqueue(trx: Knex.Transaction, email: OutgoingEmail): Promise<void> {
    const [row] = await trx('outbox_emails').insert(email).returning('id');
    if (this.transport) trx.executionPromise.then(() => this.deliver(row.id, email), () => undefined);
  }

  private async deliver(id: string, email: OutgoingEmail): Promise<void> {
    try {
      await this.transport!.sendMail({ from: this.from, to: email.to, subject: email.subject, text: email.body });
      await this.db('outbox_emails').where({ id }).update({ sentAt: this.db.fn.now(), error: null });
    } catch (error) {
      this.logger.warn({ err: error, emailId: id }, 'SMTP delivery failed');
      await this.db('outbox_emails').where({ id }).update({ error: String((error as Error).message ?? error) });
    }
  }

  async list(caller: UserCaller, limit = 100) {
    return this.db('outbox_emails')
      .where({ orgId: caller.principal.orgId })
      .orderBy('createdAt', 'desc')
      .limit(limit)
      .select('id', 'to', 'subject', 'body', 'kind', 'createdAt', 'sentAt', 'error');
  }
}
