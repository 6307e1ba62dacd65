import { fromBase64, toBase64 } from "./encoding";

// Write-only secrets (app-user passwords, downstream credentials) are kept with AES-256-GCM
// under CREDENTIALS_KEY, so a copy of the database alone does not reveal them. Format:
// "v1.<base64 iv>.<base64 ciphertext+tag>".
const keys = new Map<string, Promise<CryptoKey>>();

function importKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = fromBase64(secret);
    if (raw.length !== 32) throw new Error("CREDENTIALS_KEY must be base64 of 32 bytes");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret, key);
  }
  return key;
}

/**
 * `purpose` is bound in as AES-GCM additional data, so a box made for one use (an admin session,
 * say) cannot be opened as another (a stored credential) even under the same key.
 */
export async function seal(secret: string, plaintext: string, purpose?: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(plaintext);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, ...aad(purpose) }, await importKey(secret), data);
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

export async function open(secret: string, boxed: string, purpose?: string): Promise<string> {
  const [version, iv, data] = boxed.split(".");
  if (version !== "v1" || !iv || !data) throw new Error("unknown secret-box format");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), ...aad(purpose) },
    await importKey(secret),
    fromBase64(data),
  );
  return new TextDecoder().decode(plain);
}

function aad(purpose: string | undefined): { additionalData?: Uint8Array } {
  return purpose === undefined ? {} : { additionalData: new TextEncoder().encode(purpose) };
}
