import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig, ConfigDraft } from './app-config.js';
import { parseKeyring } from './keyring.js';

interface DevelopmentSecrets {
  tokenEncryptionKeys: string;
}

/**
 * Completes a development configuration with a token key kept in
 * `<dataDir>/development-secrets.json`, created on first use. Production never gets here without
 * one set (loadConfig refuses), so this never invents a production key.
 */
export function withDevelopmentSecrets(
  draft: ConfigDraft,
  warn: (line: string) => void,
): AppConfig {
  const { tokenKeyring } = draft;
  if (tokenKeyring !== null) return { ...draft, tokenKeyring };
  if (draft.isProduction) throw new Error('production configuration without secrets');
  const file = join(draft.dataDir, 'development-secrets.json');
  const secrets = readOrCreate(file);
  warn(
    `Using development secrets from ${file} for TOKEN_ENCRYPTION_KEYS; set it for any real deployment.`,
  );
  return { ...draft, tokenKeyring: parseKeyring(secrets.tokenEncryptionKeys) };
}

function readOrCreate(file: string): DevelopmentSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevelopmentSecrets;
  const secrets: DevelopmentSecrets = {
    tokenEncryptionKeys: `dev-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`,
  };
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
    return secrets;
  } catch (error) {
    // Another instance created it first: use theirs, so both encrypt with the same key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(readFileSync(file, 'utf8')) as DevelopmentSecrets;
  }
}
