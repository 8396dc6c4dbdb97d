export interface StatsSnapshot {
  authorizationRequests: number;
  authorizationCodesIssued: number;
  tokenGrants: { authorization_code: number; refresh_token: number };
  userinfo: number;
  tokeninfo: number;
  revocations: number;
  /** By Google error code, or by HTTP status (as a string) for injected faults. */
  errors: Record<string, number>;
}

/** Counters of requests that reached each endpoint, for tests and benchmarks. */
export class EmulatorStats {
  private counters = emptySnapshot();

  countAuthorizationRequest(): void {
    this.counters.authorizationRequests += 1;
  }

  countCodeIssued(): void {
    this.counters.authorizationCodesIssued += 1;
  }

  countTokenGrant(grantType: string | undefined): void {
    if (grantType === 'authorization_code' || grantType === 'refresh_token') {
      this.counters.tokenGrants[grantType] += 1;
    }
  }

  countUserinfo(): void {
    this.counters.userinfo += 1;
  }

  countTokeninfo(): void {
    this.counters.tokeninfo += 1;
  }

  countRevocation(): void {
    this.counters.revocations += 1;
  }

  countError(code: string): void {
    this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.counters);
  }

  reset(): void {
    this.counters = emptySnapshot();
  }
}

function emptySnapshot(): StatsSnapshot {
  return {
    authorizationRequests: 0,
    authorizationCodesIssued: 0,
    tokenGrants: { authorization_code: 0, refresh_token: 0 },
    userinfo: 0,
    tokeninfo: 0,
    revocations: 0,
    errors: {},
  };
}
