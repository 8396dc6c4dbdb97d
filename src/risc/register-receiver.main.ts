// `npm run risc:register`: registers $PUBLIC_URL/risc as the project's Cross-Account Protection
// receiver with Google's RISC API (or the emulator's mirror of it), signed with the service
// account in RISC_SERVICE_ACCOUNT_FILE. Exit codes: 0 registered, 1 failed, 3 nothing sent.
import { ConfigError, loadConfig } from '../config/app-config.js';
import { readEnvironment } from '../config/environment.js';
import { googleEndpoints } from '../google/google-endpoints.js';
import { RISC_PATH } from './risc-http-limits.js';
import {
  EVENTS_TO_REQUEST,
  readServiceAccountKey,
  riscApiToken,
  updateStream,
} from './receiver-registration.js';

const NOTHING_SENT = 3;

try {
  const config = loadConfig(readEnvironment());
  const apiUrl = googleEndpoints(config.google).riscApi;
  const receiverUrl = `${config.publicUrl}${RISC_PATH}`;
  if (config.risc.serviceAccountFile === null) {
    console.log(
      `Nothing was sent: RISC_SERVICE_ACCOUNT_FILE is not set. Set it to the JSON key of a service account of your project (see the README, "Cross-Account Protection") to register ${receiverUrl} with ${apiUrl}.`,
    );
    process.exit(NOTHING_SENT);
  }
  const key = await readServiceAccountKey(config.risc.serviceAccountFile);
  await updateStream({
    apiUrl,
    receiverUrl,
    bearerToken: await riscApiToken(key, Math.floor(Date.now() / 1000)),
    timeoutMs: config.google.httpTimeoutMs,
  });
  console.log(
    `Registered ${receiverUrl} with ${apiUrl} as ${key.clientEmail}, for ${EVENTS_TO_REQUEST.length} event types.`,
  );
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
  } else {
    console.error(`Registration failed: ${(error as Error).message}`);
  }
  process.exit(1);
}
