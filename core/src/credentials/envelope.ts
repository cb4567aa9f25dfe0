import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Envelope encryption of credential data. Each credential has its own random data key;
 * the data is sealed with AES-256-GCM under that key with the org and credential id as
 * additional data, and the data key is sealed (wrapped) under the master key with the
 * credential id as additional data. A database dump alone decrypts nothing, and a
 * ciphertext moved to another row or org fails authentication.
 */
export interface SealedCredential {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
  /** iv (12 bytes) ‖ tag (16 bytes) ‖ encrypted data key (32 bytes). */
  wrappedKey: Buffer;
}

export interface CredentialIdentity {
  orgId: string;
  id: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class CredentialDecryptionError extends Error {
  constructor(id: string) {
    super(`Credential ${id} cannot be decrypted: it was not sealed for this row, or under this master key`);
    this.name = 'CredentialDecryptionError';
  }
}

function encrypt(key: Buffer, plaintext: Buffer, aad: string) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, authTag: cipher.getAuthTag() };
}

function decrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, authTag: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(authTag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

const dataAad = ({ orgId, id }: CredentialIdentity) => `piper:credential:${orgId}:${id}`;
const keyAad = ({ id }: CredentialIdentity) => `piper:data-key:${id}`;

function wrap(masterKey: Buffer, dataKey: Buffer, identity: CredentialIdentity): Buffer {
  const { iv, ciphertext, authTag } = encrypt(masterKey, dataKey, keyAad(identity));
  return Buffer.concat([iv, authTag, ciphertext]);
}

function unwrap(masterKey: Buffer, wrappedKey: Buffer, identity: CredentialIdentity): Buffer {
  const iv = wrappedKey.subarray(0, IV_BYTES);
  const authTag = wrappedKey.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  return decrypt(masterKey, iv, wrappedKey.subarray(IV_BYTES + TAG_BYTES), authTag, keyAad(identity));
}

export function seal(masterKey: Buffer, identity: CredentialIdentity, data: unknown): SealedCredential {
  const dataKey = randomBytes(32);
  try {
    const { iv, ciphertext, authTag } = encrypt(dataKey, Buffer.from(JSON.stringify(data)), dataAad(identity));
    return { ciphertext, iv, authTag, wrappedKey: wrap(masterKey, dataKey, identity) };
  } finally {
    dataKey.fill(0);
  }
}

export function open(masterKey: Buffer, identity: CredentialIdentity, sealed: SealedCredential): Record<string, unknown> {
  let dataKey: Buffer | undefined;
  try {
    dataKey = unwrap(masterKey, sealed.wrappedKey, identity);
    return JSON.parse(decrypt(dataKey, sealed.iv, sealed.ciphertext, sealed.authTag, dataAad(identity)).toString('utf8'));
  } catch {
    throw new CredentialDecryptionError(identity.id);
  } finally {
    dataKey?.fill(0);
  }
}

/** The data key wrapped under a new master key; the data itself is untouched. */
export function rewrap(oldKey: Buffer, newKey: Buffer, identity: CredentialIdentity, wrappedKey: Buffer): Buffer {
  let dataKey: Buffer | undefined;
  try {
    dataKey = unwrap(oldKey, wrappedKey, identity);
  } catch {
    throw new CredentialDecryptionError(identity.id);
  }
  try {
    return wrap(newKey, dataKey, identity);
  } finally {
    dataKey.fill(0);
  }
}
