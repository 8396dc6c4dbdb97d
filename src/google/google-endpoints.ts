import type { AppConfig } from '../config/app-config.js';

/** Where each Google endpoint lives: Google's own hosts, or the same paths below an emulator's base URL. */
export interface GoogleEndpoints {
  authorization: string;
  token: string;
  userinfo: string;
  tokeninfo: string;
  revoke: string;
  jwks: string;
  /** Accepted `iss` values of ID tokens. */
  issuers: string[];
  /** Cross-Account Protection: the transmitter's configuration (issuer and JWKS of security events). */
  riscConfiguration: string;
  /** Google's RISC stream management API (stream:update and friends). */
  riscApi: string;
}

const GOOGLE: GoogleEndpoints = {
  authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
  token: 'https://oauth2.googleapis.com/token',
  userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
  tokeninfo: 'https://oauth2.googleapis.com/tokeninfo',
  revoke: 'https://oauth2.googleapis.com/revoke',
  jwks: 'https://www.googleapis.com/oauth2/v3/certs',
  issuers: ['https://accounts.google.com', 'accounts.google.com'],
  riscConfiguration: 'https://accounts.google.com/.well-known/risc-configuration',
  riscApi: 'https://risc.googleapis.com/v1beta',
};

export function googleEndpoints(google: AppConfig['google']): GoogleEndpoints {
  const base = google.emulatorUrl;
  if (base === undefined) return GOOGLE;
  return {
    authorization: `${base}/o/oauth2/v2/auth`,
    token: `${base}/token`,
    userinfo: `${base}/v1/userinfo`,
    tokeninfo: `${base}/tokeninfo`,
    revoke: `${base}/revoke`,
    jwks: `${base}/oauth2/v3/certs`,
    issuers: [base],
    riscConfiguration: `${base}/.well-known/risc-configuration`,
    riscApi: `${base}/v1beta`,
  };
}
