import { Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentUser, type SessionUser } from '../auth/current-user.decorator.js';
import { GoogleClient } from '../google/google.client.js';
import { GoogleProfileModel, toGoogleProfile } from './models/google-profile.model.js';
import { TokenStatusModel } from './models/token-status.model.js';
import { TokenValidationModel } from './models/token-validation.model.js';
import { TokenService } from './token.service.js';

@Resolver()
export class TokensResolver {
  constructor(
    private readonly tokens: TokenService,
    private readonly google: GoogleClient,
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

  @Mutation(() => TokenStatusModel, {
    description: 'Refresh the access token now, whatever its expiry.',
  })
  refreshToken(@CurrentUser() caller: SessionUser): Promise<TokenStatusModel> {
    return this.tokens.refresh(caller.userId) as Promise<TokenStatusModel>;
  }
}
