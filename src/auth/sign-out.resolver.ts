import { Mutation, Resolver } from '@nestjs/graphql';
import { SessionsService } from '../sessions/sessions.service.js';
import { CurrentUser, type SessionUser } from '../sessions/current-user.decorator.js';

@Resolver()
export class SignOutResolver {
  constructor(private readonly sessions: SessionsService) {}

  @Mutation(() => Boolean, {
    description:
      'End every session and API token you hold, on every device, the one making this call included.',
  })
  async signOutEverywhere(@CurrentUser() caller: SessionUser): Promise<boolean> {
    await this.sessions.destroyAllOf(caller.userId);
    return true;
  }
}
