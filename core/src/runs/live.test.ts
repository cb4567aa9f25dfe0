import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { pino } from 'pino';
import { startServer } from '../server.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { edge, node, PipelineDriver } from '../testing/pipelines.js';

let server: TestServer;
let driver: PipelineDriver;
let pipelineId: string;

before(async () => {
  server = await startTestServer();
  driver = new PipelineDriver(server, await server.login('admin@acme.test'));
  pipelineId = await driver.create({
    nodes: [node('wait', 'core.delay', { ms: 300 }), node('work', 'core.transform', { code: 'return input * 2' })],
    edges: [edge('wait', 'work')],
  });
});
after(() => server.close());

function connect(token?: string): Promise<Socket> {
  const socket = io(server.url, { auth: token ? { token } : {}, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

describe('live run status over Socket.IO', () => {
  it('streams node and run status to a subscriber', async () => {
    const socket = await connect(driver.token);
    // The subscription is made after the run starts: the first node gives it ample time, even on a loaded machine.
    const slowStart = await driver.create({
      nodes: [node('wait', 'core.delay', { ms: 1500 }), node('work', 'core.transform', { code: 'return input * 2' })],
      edges: [edge('wait', 'work')],
    });
    try {
      const runId = await driver.start(slowStart, { mode: 'test', input: 21 });
      const events: Array<{ type: string; nodeId?: string; status: string }> = [];
      const finished = new Promise<void>((resolve) => {
        socket.on('node', (event) => events.push(event));
        socket.on('run', (event) => {
          events.push(event);
          if (event.status === 'succeeded') resolve();
        });
      });
      const ack = await socket.emitWithAck('subscribe', { runId });
      assert.equal(ack.ok, true);
      await finished;
      const statuses = (nodeId: string) => events.filter((event) => event.nodeId === nodeId).map((event) => event.status);
      assert.deepEqual(statuses('work'), ['running', 'succeeded']);
      assert.ok(statuses('wait').includes('succeeded'));
      assert.equal(events.at(-1)!.type, 'run');
    } finally {
      socket.close();
    }
  });

  it('refuses to subscribe another org to a run, and anonymous sockets', async () => {
    const runId = await driver.start(pipelineId, { mode: 'test', input: 1 });
    const outsider = await connect(await server.login('admin@beta.test'));
    try {
      const ack = await outsider.emitWithAck('subscribe', { runId });
      assert.deepEqual(ack, { ok: false, error: 'Run not found' });
      const malformed = await outsider.emitWithAck('subscribe', { runId: 'x' });
      assert.equal(malformed.ok, false);
    } finally {
      outsider.close();
    }
    await assert.rejects(connect(), /unauthorized/);
    await assert.rejects(connect('not-a-token'), /unauthorized/);
    await driver.waitFor(runId);
  });
});

describe('several API instances', () => {
  it('deliver the events of a run executed elsewhere to a socket on another instance', async () => {
    // A second API-only instance on the same database: the run executes on the first one's worker.
    const second = await startServer({ ...server.config, role: 'api' }, pino({ level: 'silent' }));
    try {
      const socket = io(second.url, { auth: { token: driver.token }, transports: ['websocket'], reconnection: false });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
      try {
        const runId = await driver.start(pipelineId, { mode: 'test', input: 5 });
        const done = new Promise<string[]>((resolve) => {
          const seen: string[] = [];
          socket.on('node', (event) => seen.push(`${event.nodeId}:${event.status}`));
          socket.on('run', (event) => event.status === 'succeeded' && resolve(seen));
        });
        assert.equal((await socket.emitWithAck('subscribe', { runId })).ok, true);
        assert.ok((await done).includes('work:succeeded'));
      } finally {
        socket.close();
      }
    } finally {
      await second.close();
    }
  });
});

describe('live run status over Server-Sent Events', () => {
  it('streams the same events and ends with the run', async () => {
    const runId = await driver.start(pipelineId, { mode: 'test', input: 2 });
    const response = await fetch(`${server.url}/api/runs/${runId}/events`, { headers: { authorization: `Bearer ${driver.token}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await response.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map(([, type, data]) => ({ type, ...JSON.parse(data!) }));
    assert.ok(events.some((event) => event.type === 'node' && event.nodeId === 'work' && event.status === 'succeeded'));
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'run', status: 'succeeded' });
    const other = await fetch(`${server.url}/api/runs/${runId}/events`, { headers: { authorization: `Bearer ${await server.login('client@acme.test')}` } });
    assert.equal(other.status, 404);
    await other.body?.cancel();
  });
});
