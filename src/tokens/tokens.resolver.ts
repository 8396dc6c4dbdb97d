import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { CurrentUser, type SessionUser } from '../sessions/current-user.decorator.js';
import { GoogleClient } from '../google/google.client.js';
import { GoogleProfileModel, toGoogleProfile } from './models/google-profile.model.js';
import { TokenEventModel, toTokenEventModel } from './models/token-event.model.js';
import { TokenStatusModel } from './models/token-status.model.js';
import { TokenValidationModel } from './models/token-validation.model.js';
import { TokenService } from './token.service.js';
import { TokenRevoker } from './token-revoker.js';

@Resolver()
export class TokensResolver {
  constructor(
    private readonly tokens: TokenService,
    private readonly google: GoogleClient,
    private readonly revoker: TokenRevoker,
  ) {}

  @Query(() => GoogleProfileModel, {
    description: 'Google userinfo, fetched with a valid token (refreshed automatically).',
  })
  async profile(@CurrentUser() caller: SessionUser): Promise<GoogleProfileModel> {
    return toGoogleProfile(
      await this.tokens.withAccessToken(caller.userId, (token) => this.google.userinfo(token)),
    );
  }

  @Query(() => TokenStatusModel, { description: 'State of the stored token; never a secret.' })
  tokenStatus(@CurrentUser() caller: SessionUser): Promise<TokenStatusModel> {
    return this.tokens.status(caller.userId) as Promise<TokenStatusModel>;
  }

  @Query(() => TokenValidationModel, {
    description: "What Google's tokeninfo says about the current access token.",
  })
  validateToken(@CurrentUser() caller: SessionUser): Promise<TokenValidationModel> {
    return this.tokens.validate(caller.userId);
  }

  @Query(() => [TokenEventModel], {
    description:
      "Your grant's audit trail, newest first: issued, refreshed, refresh failed, re-auth required, revoked.",
  })
  async tokenEvents(
    @CurrentUser() caller: SessionUser,
    @Args('limit', { type: () => Int, defaultValue: 20, description: 'From 1 to 100.' })
    limit: number,
  ): Promise<TokenEventModel[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new AppError(AppErrorCode.BadUserInput, 'limit must be a whole number from 1 to 100', {
        argument: 'limit',
      });
    }
    return (await this.tokens.events(caller.userId, limit)).map(toTokenEventModel);
  }

  @Mutation(() => Boolean, {
    description:
      'Revoke the grant at Google and forget the tokens. True when Google confirmed at once; false when Google could not be reached and the revocation is retried in the background (the tokens are forgotten either way).',
  })
  revokeToken(@CurrentUser() caller: SessionUser): Promise<boolean> {
    return this.revoker.revoke(caller.userId);
  }

  @Mutation(() => String, {
    description:
      'The sign-in URL that asks Google for these scopes on top of those granted (incremental authorization). Only scopes of GOOGLE_ALLOWED_SCOPES; anything else is BAD_USER_INPUT.',
  })
  requestScopes(@Args('scopes', { type: () => [String] }) scopes: string[]): string {
    return this.tokens.scopeRequestUrl(scopes);
  }

  @Mutation(() => TokenStatusModel, {
    description: 'Refresh the access token now, whatever its expiry.',
  })
  refreshToken(@CurrentUser() caller: SessionUser): Promise<TokenStatusModel> {
    return this.tokens.refresh(caller.userId) as Promise<TokenStatusModel>;
  }
}
