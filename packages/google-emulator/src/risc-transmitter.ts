import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { EmulatorClock } from './clock.js';
import type { KeyRing } from './keys.js';
import { postSecurityEventToken } from './risc-delivery.js';

export type ReceiverStatus = 'enabled' | 'disabled';

/** Where security events go: one registered through the admin API, or the project's stream. */
export interface RiscReceiver {
  /** `r1`, `r2`… for admin registrations; `stream` for the one set with stream:update. */
  id: string;
  url: string;
  /** The audience (client id) of every SET it gets; undefined for the project's stream. */
  clientId?: string;
  /** Event type URIs it wants; undefined: all of them. */
  eventsRequested?: string[];
  status: ReceiverStatus;
  /** The stream's delivery_method, as registered. */
  deliveryMethod?: string;
}

/** One security event, before it is signed for each receiver. */
export interface SecurityEvent {
  /** Event type URI. */
  type: string;
  /** The user it is about (absent for verification). */
  sub?: string;
  /** The client it concerns; undefined: every receiver, and the stream names every client. */
  clientId?: string;
  /** The value under the event type in the `events` claim. */
  body: Record<string, unknown>;
  /** Header `typ`; null leaves it out. */
  typ: string | null;
}

export interface DeliveryRecord {
  receiverId: string;
  url: string;
  jti: string;
  aud: string | string[];
  eventType: string;
  sub: string | null;
  clientId: string | null;
  set: string;
  /** What the receiver answered; null when it could not be reached. */
  status: number | null;
  responseBody: string | null;
  error: string | null;
  atMs: number;
}

interface TransmitterDeps {
  issuer: string;
  clock: EmulatorClock;
  keys: KeyRing;
  /** Every registered client id (the audience of events that concern no client). */
  clientIds: () => string[];
  log: (line: string) => void;
}

/** Google's Cross-Account Protection sender: signs Security Event Tokens and pushes them. */
export class RiscTransmitter {
  private adminReceivers: RiscReceiver[] = [];
  private stream: RiscReceiver | undefined;
  private deliveries: DeliveryRecord[] = [];
  private lastReceiverNumber = 0;

  constructor(private readonly deps: TransmitterDeps) {}

  addReceiver(fields: { url: string; clientId: string; eventsRequested?: string[] }): RiscReceiver {
    this.lastReceiverNumber += 1;
    const receiver: RiscReceiver = {
      id: `r${this.lastReceiverNumber}`,
      ...fields,
      status: 'enabled',
    };
    this.adminReceivers.push(receiver);
    return { ...receiver };
  }

  listReceivers(): RiscReceiver[] {
    return [...(this.stream ? [this.stream] : []), ...this.adminReceivers].map((r) => ({ ...r }));
  }

  clearReceivers(): void {
    this.adminReceivers = [];
    this.stream = undefined;
  }

  /** stream:update: the project's one stream, enabled, replacing any earlier configuration. */
  configureStream(url: string, eventsRequested: string[], deliveryMethod: string): RiscReceiver {
    this.stream = { id: 'stream', url, eventsRequested, status: 'enabled', deliveryMethod };
    return { ...this.stream };
  }

  get streamReceiver(): RiscReceiver | undefined {
    return this.stream ? { ...this.stream } : undefined;
  }

  setStreamStatus(status: ReceiverStatus): void {
    if (this.stream) this.stream.status = status;
  }

  /** Signs the event for every receiver that wants it and waits for each answer. */
  async send(
    event: SecurityEvent,
    options: { streamOnly?: boolean } = {},
  ): Promise<DeliveryRecord[]> {
    const targets = this.targetsOf(event).filter(
      ({ receiver }) => !options.streamOnly || receiver === this.stream,
    );
    return Promise.all(
      targets.map(async ({ receiver, aud }) => {
        const jti = randomBytes(16).toString('hex');
        const set = await this.sign(event, aud, jti);
        return this.record(receiver.id, receiver.url, {
          jti,
          aud,
          eventType: event.type,
          sub: event.sub ?? null,
          clientId: event.clientId ?? null,
          set,
        });
      }),
    );
  }

  /** Sends the very same SETs (same jti) again, as Google's redelivery does. */
  async redeliver(jti: string): Promise<DeliveryRecord[] | undefined> {
    const earlier = this.deliveries.filter((delivery) => delivery.jti === jti);
    const byReceiver = new Map(earlier.map((delivery) => [delivery.receiverId, delivery]));
    if (byReceiver.size === 0) return undefined;
    return Promise.all([...byReceiver.values()].map((delivery) => this.repost(delivery)));
  }

  listDeliveries(): DeliveryRecord[] {
    return this.deliveries.map((delivery) => ({ ...delivery }));
  }

  clearDeliveries(): void {
    this.deliveries = [];
  }

  private targetsOf(event: SecurityEvent): { receiver: RiscReceiver; aud: string | string[] }[] {
    const wants = (receiver: RiscReceiver) =>
      receiver.status === 'enabled' &&
      (receiver.eventsRequested === undefined || receiver.eventsRequested.includes(event.type));
    const admin = this.adminReceivers
      .filter((receiver) => event.clientId === undefined || receiver.clientId === event.clientId)
      .filter(wants)
      .map((receiver) => ({ receiver, aud: receiver.clientId as string }));
    const stream = this.stream && wants(this.stream) ? [this.stream] : [];
    return [
      ...stream.map((receiver) => ({ receiver, aud: event.clientId ?? this.everyClient() })),
      ...admin,
    ];
  }

  private everyClient(): string | string[] {
    const ids = this.deps.clientIds();
    return ids.length === 1 ? ids[0] : ids;
  }

  /** RFC 8417 claims as Google sends them: iss, aud, iat, jti, events; no exp. */
  private sign(event: SecurityEvent, aud: string | string[], jti: string): Promise<string> {
    const key = this.deps.keys.signingKey;
    const header = {
      alg: 'RS256',
      kid: key.kid,
      ...(event.typ === null ? {} : { typ: event.typ }),
    };
    return new SignJWT({
      iss: this.deps.issuer,
      aud,
      iat: this.deps.clock.nowSeconds(),
      jti,
      events: { [event.type]: event.body },
    })
      .setProtectedHeader(header)
      .sign(key.privateKey);
  }

  private repost(earlier: DeliveryRecord): Promise<DeliveryRecord> {
    const { receiverId, url, jti, aud, eventType, sub, clientId, set } = earlier;
    return this.record(receiverId, url, { jti, aud, eventType, sub, clientId, set });
  }

  private async record(
    receiverId: string,
    url: string,
    what: Pick<DeliveryRecord, 'jti' | 'aud' | 'eventType' | 'sub' | 'clientId' | 'set'>,
  ): Promise<DeliveryRecord> {
    const result = await postSecurityEventToken(url, what.set);
    const delivery: DeliveryRecord = {
      receiverId,
      url,
      ...what,
      status: 'status' in result ? result.status : null,
      responseBody: 'status' in result ? result.body : null,
      error: 'error' in result ? result.error : null,
      atMs: this.deps.clock.nowMs(),
    };
    this.deliveries.push(delivery);
    const outcome = delivery.status ?? delivery.error;
    this.deps.log(`google-emulator: RISC ${what.eventType} to ${url}: ${outcome}`);
    return { ...delivery };
  }
}
