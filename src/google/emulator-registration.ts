import { request } from 'undici';
import type { AppConfig } from '../config/app-config.js';

/**
 * Tells a standalone emulator about this app's OAuth client and callback URL, as one would in
 * Google's console. Registering the same client again only adds the callback URL, so every
 * instance of a multi-instance setup can do it at start-up.
 */
export async function registerWithEmulator(google: AppConfig['google']): Promise<void> {
  const response = await request(`${google.emulatorUrl}/__emulator/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: google.clientId,
      client_secret: google.clientSecret,
      redirect_uris: [google.callbackUrl],
    }),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) {
    throw new Error(
      `The Google emulator at ${google.emulatorUrl} refused our client (HTTP ${response.statusCode}): ${text.slice(0, 200)}`,
    );
  }
}
