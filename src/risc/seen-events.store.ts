import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { sha256 } from '../common/hash.js';
import { SeenEventEntity } from './seen-event.entity.js';

/** Which security event tokens were already received, across every instance (one row per `jti`). */
@Injectable()
export class SeenEventsStore {
  constructor(
    @InjectRepository(SeenEventEntity) private readonly seen: Repository<SeenEventEntity>,
  ) {}

  /**
   * Records a token as received; false when it was already (a replay or a redelivery). The primary
   * key decides, so two instances receiving the same token at once cannot both claim it.
   */
  async claim(issuer: string, jti: string, forgetAfter: Date): Promise<boolean> {
    const jtiHash = seenKey(issuer, jti);
    try {
      await this.seen.insert({ jtiHash, forgetAfter });
      return true;
    } catch (error) {
      if (await this.seen.existsBy({ jtiHash })) return false;
      throw error;
    }
  }

  /** Forgets a claim whose actions failed, so Google's retry of the same token is acted on. */
  async release(issuer: string, jti: string): Promise<void> {
    await this.seen.delete({ jtiHash: seenKey(issuer, jti) });
  }

  /** Deletes the rows of tokens that are stale by now; returns how many went. */
  async prune(now = new Date()): Promise<number> {
    const { affected } = await this.seen.delete({ forgetAfter: LessThan(now) });
    return affected ?? 0;
  }
}

function seenKey(issuer: string, jti: string): string {
  return sha256(`${issuer} ${jti}`);
}
