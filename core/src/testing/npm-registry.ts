import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Version {
  name: string;
  version: string;
  dist: { tarball: string; shasum: string; integrity: string };
  [key: string]: unknown;
}

/**
 * A local npm registry for tests, speaking the part of the registry protocol the npm client
 * uses to publish (PUT of the packument with the tarball attached), to read packuments and to
 * download tarballs. (verdaccio does not install from the mirror this project is built on.)
 */
export class TestNpmRegistry {
  readonly tarballs = new Map<string, Buffer>();
  private readonly packages = new Map<string, { versions: Record<string, Version>; latest: string }>();
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res).catch(() => res.writeHead(500).end()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }

  /** Adds a package version from its tarball, as a publication would. */
  add(manifest: { name: string; version: string }, tarball: Buffer): void {
    const file = `${manifest.name.replace('/', '-').replace('@', '')}-${manifest.version}.tgz`;
    this.tarballs.set(file, tarball);
    const entry = this.packages.get(manifest.name) ?? { versions: {}, latest: manifest.version };
    entry.versions[manifest.version] = {
      ...manifest,
      dist: {
        tarball: `${this.url}/-/tarballs/${file}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      },
    };
    entry.latest = manifest.version;
    this.packages.set(manifest.name, entry);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]!);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.startsWith('/-/tarballs/')) {
      const file = this.tarballs.get(url.slice('/-/tarballs/'.length));
      if (!file) return json(404, { error: 'not found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
      return;
    }
    const name = url.slice(1);
    if (req.method === 'GET') {
      const entry = this.packages.get(name);
      return entry ? json(200, { name, 'dist-tags': { latest: entry.latest }, versions: entry.versions }) : json(404, { error: 'not found' });
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { versions: Record<string, Version>; _attachments: Record<string, { data: string }> };
      for (const [version, manifest] of Object.entries(body.versions)) {
        if (this.packages.get(name)?.versions[version]) return json(409, { error: `${name}@${version} exists` });
        const attachment = Object.values(body._attachments)[0]!;
        this.add({ ...manifest, name, version }, Buffer.from(attachment.data, 'base64'));
      }
      return json(201, { ok: true });
    }
    json(405, { error: 'method not allowed' });
  }
}
