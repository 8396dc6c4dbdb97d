import type { EmulatorClient, EmulatorUser, PublishingStatus } from './types.js';
import { newSubject } from './token-strings.js';

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  redirectUris: Set<string>;
  publishingStatus: PublishingStatus;
}

/** How long a Testing-mode app's consent and refresh tokens last (Google: 7 days). */
export const TESTING_GRANT_LIFETIME_SECONDS = 7 * 86_400;

/** The lifetime Testing mode gives consent and refresh tokens; undefined for production. */
export function testingLifetimeMs(client: RegisteredClient | undefined): number | undefined {
  return client?.publishingStatus === 'testing' ? TESTING_GRANT_LIFETIME_SECONDS * 1000 : undefined;
}

export type ClientRegistration = 'created' | 'updated' | 'conflict';

export const DEFAULT_USERS: readonly EmulatorUser[] = [
  {
    sub: '104892461539281739254',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    givenName: 'Ada',
    familyName: 'Lovelace',
  },
  {
    sub: '117350929174625391823',
    email: 'alan@example.com',
    name: 'Alan Turing',
    givenName: 'Alan',
    familyName: 'Turing',
  },
];

/** The OAuth clients and Google accounts the emulator knows. */
export class Registry {
  private readonly clients = new Map<string, RegisteredClient>();
  private readonly users = new Map<string, EmulatorUser>();

  constructor(clients: readonly EmulatorClient[], users: readonly EmulatorUser[]) {
    for (const client of clients) this.registerClient(client);
    for (const user of users) this.upsertUser(user);
  }

  /**
   * Same id and secret adds redirect URIs (several app instances register themselves) and,
   * when given, changes the publishing status.
   */
  registerClient(client: EmulatorClient): ClientRegistration {
    const existing = this.clients.get(client.clientId);
    if (existing && existing.clientSecret !== client.clientSecret) return 'conflict';
    if (existing) {
      for (const uri of client.redirectUris) existing.redirectUris.add(uri);
      if (client.publishingStatus) existing.publishingStatus = client.publishingStatus;
      return 'updated';
    }
    this.clients.set(client.clientId, {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUris: new Set(client.redirectUris),
      publishingStatus: client.publishingStatus ?? 'production',
    });
    return 'created';
  }

  listClients(): RegisteredClient[] {
    return [...this.clients.values()];
  }

  findClient(clientId: string): RegisteredClient | undefined {
    return this.clients.get(clientId);
  }

  /** Adds the user, or replaces the one with the same `sub`; a missing sub is generated. */
  upsertUser(user: Omit<EmulatorUser, 'sub'> & { sub?: string }): {
    user: EmulatorUser;
    created: boolean;
  } {
    const sub = user.sub ?? this.unusedSubject();
    const created = !this.users.has(sub);
    const stored: EmulatorUser = { ...user, sub };
    this.users.set(sub, stored);
    return { user: stored, created };
  }

  /** The account is gone (RISC account-purged). */
  removeUser(sub: string): void {
    this.users.delete(sub);
  }

  listUsers(): EmulatorUser[] {
    return [...this.users.values()];
  }

  findUser(sub: string): EmulatorUser | undefined {
    return this.users.get(sub);
  }

  /** `login_hint` is an email address (any case) or a `sub`. */
  findUserByHint(hint: string): EmulatorUser | undefined {
    const byEmail = hint.toLowerCase();
    return this.users.get(hint) ?? this.listUsers().find((u) => u.email.toLowerCase() === byEmail);
  }

  private unusedSubject(): string {
    let sub = newSubject();
    while (this.users.has(sub)) sub = newSubject();
    return sub;
  }
}
