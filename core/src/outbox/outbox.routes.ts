import { route } from '../http/route.js';

export const outboxRoutes = [
  route({
    method: 'get',
    path: '/api/outbox',
    summary: 'Emails sent to the users of your org (password resets, notifications), newest first',
    tag: 'Outbox',
    access: ['admin'],
    handler: ({ services, caller }) => services.outbox.list(caller),
  }),
];
