import 'reflect-metadata';
import { startApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { readEnvironment } from './config/environment.js';
import { EmulatorUnreachableError } from './google/emulator-registration.js';
import { KeyringMismatchError } from './tokens/key-rotation.js';

try {
  await startApp(loadConfig(readEnvironment()));
} catch (error) {
  if (error instanceof KeyringMismatchError || error instanceof EmulatorUnreachableError) {
    console.error(`Refusing to start: ${error.message}`);
    process.exit(1);
  }
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
  process.exit(1);
}
