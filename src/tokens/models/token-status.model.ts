import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GrantFailureReasonModel } from './grant-failure-reason.model.js';

export enum TokenStateModel {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REAUTH_REQUIRED = 'REAUTH_REQUIRED',
  REVOKED = 'REVOKED',
}

registerEnumType(TokenStateModel, {
  name: 'TokenState',
  description:
    'ACTIVE: usable; EXPIRED: will be refreshed on next use; REAUTH_REQUIRED and REVOKED: sign in again.',
});

@ObjectType('TokenStatus', { description: "The stored Google grant's state. Never holds a token." })
export class TokenStatusModel {
  @Field(() => TokenStateModel)
  state: TokenStateModel;

  @Field(() => [String], { description: 'Scopes Google granted.' })
  scopes: string[];

  @Field(() => [String], {
    description:
      'Scopes the app asked for and Google did not grant (unticked on the consent screen); requestScopes asks for them again.',
  })
  missingScopes: string[];

  @Field(() => Date, { nullable: true })
  expiresAt: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds until the access token expires (0 when expired).',
  })
  expiresInSeconds: number | null;

  @Field()
  hasRefreshToken: boolean;

  @Field(() => Date, { nullable: true })
  lastRefreshedAt: Date | null;

  @Field(() => Int)
  refreshCount: number;

  @Field(() => GrantFailureReasonModel, {
    nullable: true,
    description: 'Why the grant died; null while it lives.',
  })
  failureReason: GrantFailureReasonModel | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When Google issued the refresh token held now (null when none is held, or unknown).',
  })
  refreshTokenIssuedAt: Date | null;

  @Field(() => Int, {
    description:
      'Refresh tokens Google minted for this user through this app since the grant was last revoked (Google keeps the newest 100).',
  })
  refreshTokensMinted: number;

  @Field(() => Date, {
    nullable: true,
    description:
      'When Google is expected to end this grant: with GOOGLE_APP_PUBLISHING_STATUS=testing, 7 days after the refresh token was issued (unless only openid, email and profile are granted); null otherwise.',
  })
  predictedEndAt: Date | null;
}
