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
}
