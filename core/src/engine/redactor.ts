import type { Json } from '@piper/sdk';

/** What replaces a secret value in logs, outputs and errors. */
export const REDACTED = '********';
/** Shorter values would mangle ordinary text and are no secret worth the name. */
const MIN_SECRET_LENGTH = 3;

/**
 * Strips known secret values from text and JSON. A run adds the secret values of the
 * credentials it resolves; everything the run writes (log lines, outputs, errors) passes here.
 */
export class Redactor {
  private secrets: string[] = [];

  get empty(): boolean {
    return this.secrets.length === 0;
  }

  add(values: Iterable<string>): void {
    const known = new Set(this.secrets);
    for (const value of values) {
      if (value.length < MIN_SECRET_LENGTH) continue;
      known.add(value);
      // As the value appears inside JSON text.
      const escaped = JSON.stringify(value).slice(1, -1);
      if (escaped !== value) known.add(escaped);
    }
    // Longest first, so that a secret containing another is replaced whole.
    this.secrets = [...known].sort((a, b) => b.length - a.length);
  }

  text(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  json<T extends Json>(value: T): T {
    if (this.empty) return value;
    return this.walk(value) as T;
  }

  private walk(value: Json): Json {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (value && typeof value === 'object') {
      const out: Record<string, Json> = {};
      for (const [key, inner] of Object.entries(value)) out[this.text(key)] = this.walk(inner);
      return out;
    }
    return value;
  }
}
