import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { TokenEventEntity } from '../token-event.entity.js';
import { GrantFailureReasonModel } from './grant-failure-reason.model.js';

export enum TokenEventTypeModel {
  ISSUED = 'ISSUED',
  REFRESHED = 'REFRESHED',
  REFRESH_FAILED = 'REFRESH_FAILED',
  REAUTH_REQUIRED = 'REAUTH_REQUIRED',
  REVOKED = 'REVOKED',
  SECURITY_EVENT = 'SECURITY_EVENT',
}

registerEnumType(TokenEventTypeModel, {
  name: 'TokenEventType',
  description: 'What happened to the grant.',
});

@ObjectType('TokenEvent', {
  description: 'One entry of the audit trail of your grant. Never holds a secret.',
})
export class TokenEventModel {
  @Field(() => TokenEventTypeModel)
  type: TokenEventTypeModel;

  @Field(() => String, {
    nullable: true,
    description: "A machine-readable reason, such as Google's error code.",
  })
  code: string | null;

  @Field(() => String, { nullable: true })
  detail: string | null;

  @Field(() => GrantFailureReasonModel, {
    nullable: true,
    description:
      'Why the grant died (REAUTH_REQUIRED) or why Google refused the refresh (REFRESH_FAILED), when known.',
  })
  reason: GrantFailureReasonModel | null;

  @Field()
  createdAt: Date;
}

export function toTokenEventModel(event: TokenEventEntity): TokenEventModel {
  return {
    type: TokenEventTypeModel[event.type],
    code: event.code,
    detail: event.detail,
    reason: event.reason === null ? null : GrantFailureReasonModel[event.reason],
    createdAt: event.createdAt,
  };
}
