import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { VerifiedIdentity } from './verified-identity.js';
import { UserEntity } from './user.entity.js';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByGoogleSub(googleSub: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ googleSub });
  }

  /** The user with this Google `sub`, created or brought up to date; never matched by email. */
  async upsertFromIdentity(
    manager: EntityManager,
    identity: VerifiedIdentity,
  ): Promise<UserEntity> {
    const users = manager.getRepository(UserEntity);
    const profile = {
      email: identity.email,
      emailVerified: identity.emailVerified,
      name: identity.name,
      picture: identity.picture,
    };
    const existing = await users.findOneBy({ googleSub: identity.sub });
    if (existing) {
      await users.update({ id: existing.id }, profile);
      return { ...existing, ...profile };
    }
    const created = users.create({ id: randomUUID(), googleSub: identity.sub, ...profile });
    await users.insert(created);
    return created;
  }
}
