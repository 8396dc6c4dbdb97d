// `npm run keys:rotate`: re-encrypts every stored secret under the current key
// (the first of TOKEN_ENCRYPTION_KEYS). Safe to run while the service runs.
import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { withDevelopmentSecrets } from '../config/development-secrets.js';
import { readEnvironment } from '../config/environment.js';
import { KeyringMismatchError, rotateKeys } from './key-rotation.js';

try {
  const config = withDevelopmentSecrets(loadConfig(readEnvironment()), (line) =>
    console.warn(line),
  );
  const result = await rotateKeys(config);
  console.log(
    `Re-encrypted ${result.tokensRewritten} token rows and ${result.revocationsRewritten} queued revocations under key "${config.tokenKeyring.currentKeyId}".`,
  );
} catch (error) {
  if (error instanceof KeyringMismatchError) {
    console.error(error.message);
    process.exit(1);
  }
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
  process.exit(1);
}
