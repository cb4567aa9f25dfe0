import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';

const ISSUER = 'piper';
const AUDIENCE = 'piper-api';
const ALGORITHM = 'HS256';

export const JWT_ISSUER = ISSUER;
export const JWT_AUDIENCE = AUDIENCE;

export function jwtSigningKey(masterKey: Buffer): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'piper:jwt-signing:v1', 32));
}

export interface SessionClaims {
  userId: string;
  orgId: string;
  sessionId: string;
}

/** Signs and verifies user JWTs with a key derived from the master key (shared by every instance). */
export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(masterKey: Buffer, private readonly ttlSeconds: number) {
    this.key = jwtSigningKey(masterKey);
  }

  sign(claims: SessionClaims): Promise<string> {
    return new SignJWT({ org: claims.orgId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(claims.userId)
      .setJti(claims.sessionId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** Returns the claims of a valid token, or null for an expired, forged, `alg: none` or malformed one. */
  async verify(token: string): Promise<SessionClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], issuer: ISSUER, audience: AUDIENCE });
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.org !== 'string') return null;
      return { userId: payload.sub, orgId: payload.org, sessionId: payload.jti };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  }
}

/** Random bearer secrets (service account tokens, reset tokens) are stored only as their SHA-256. */
export function newSecretToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
