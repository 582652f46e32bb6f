// Endpoint signing secrets: made as Standard Webhooks receivers expect them (`whsec_` and 32 random
// bytes in base64), and kept encrypted at rest, since signing needs them back: AES-256-GCM under a
// key derived (HKDF-SHA256) from the service's webhook secret key, bound to the endpoint's id so a
// sealed secret cannot be moved to another endpoint. It never logs a secret or its key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const SEALED_VERSION = 'v1';
const KEY_INFO = 'thumbforge webhook signing secrets v1';

export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export type SecretBox = {
  /** The secret, encrypted for this endpoint: `v1.<iv>.<tag>.<ciphertext>` (base64url). */
  seal(endpointId: string, secret: string): string;
  /** The secret back; throws when the key or the endpoint is not the one it was sealed with. */
  open(endpointId: string, sealed: string): string;
};

export function createSecretBox(keyMaterial: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', keyMaterial, Buffer.alloc(0), KEY_INFO, 32));
  return {
    seal(endpointId, secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(endpointId));
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return [SEALED_VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(endpointId, sealed) {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== SEALED_VERSION || !iv || !tag || ciphertext === undefined) throw new Error(`a sealed webhook secret of an unknown format (${version})`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(endpointId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
