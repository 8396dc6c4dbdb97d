import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('TokenValidation', {
  description: "What Google's tokeninfo says about the current access token.",
})
export class TokenValidationModel {
  @Field()
  valid: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Why Google refused the token, when it did.',
  })
  reason: string | null;

  @Field(() => Int, { nullable: true })
  expiresInSeconds: number | null;

  @Field(() => [String])
  scopes: string[];

  @Field(() => String, { nullable: true, description: 'The OAuth client the token was issued to.' })
  audience: string | null;

  @Field({ description: "True when the token was issued to this app's client." })
  audienceMatches: boolean;

  @Field(() => String, { nullable: true })
  email: string | null;

  @Field(() => String, { nullable: true, description: 'online or offline.' })
  accessType: string | null;
}
