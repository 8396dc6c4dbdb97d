// The emulator's public types, in a file of their own so that no module imports the plugin for them.

/** The OAuth consent screen's publishing status in Google Cloud. */
export type PublishingStatus = 'testing' | 'production';

export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** `testing`: refresh tokens (and consent) end 7 days after issue, unless only sign-in scopes were granted. Default `production`. */
  publishingStatus?: PublishingStatus;
}

export interface EmulatorUser {
  sub: string;
  email: string;
  name: string;
  givenName?: string;
  familyName?: string;
  picture?: string;
  hd?: string;
  emailVerified?: boolean;
}

export interface EmulatorOptions {
  /** Absolute base URL clients reach the emulator at, no trailing slash, e.g. http://localhost:3000/__google. It is the `issuer` of the discovery doc and of ID tokens, and the prefix of every endpoint URL in the discovery doc. */
  issuer: string;
  /** expires_in of issued access tokens. */
  accessTokenTtlSeconds: number;
  /** Lifetime of authorization codes; default 60. */
  codeTtlSeconds?: number;
  /** Live refresh tokens per user and client; minting one more silently drops the oldest. Default 100, as Google. */
  refreshTokenLimit?: number;
  /** Registered at start. */
  clients?: EmulatorClient[];
  /** Default: two built-in users (Ada Lovelace and Alan Turing). */
  users?: EmulatorUser[];
  /** Mount /__emulator/* (default true). */
  adminApi?: boolean;
  /** If set, embedded in every access token, refresh token and code issued (canary leak tests). */
  tokenMarker?: string;
  log?: (line: string) => void;
}
