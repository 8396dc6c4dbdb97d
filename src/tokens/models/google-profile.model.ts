import { Field, ObjectType } from '@nestjs/graphql';
import type { GoogleUserinfo } from '../../google/google-answers.js';

@ObjectType('GoogleProfile', {
  description: "Google's userinfo for the signed-in user, fetched with a valid token.",
})
export class GoogleProfileModel {
  @Field()
  sub: string;

  @Field(() => String, { nullable: true })
  name: string | null;

  @Field(() => String, { nullable: true })
  givenName: string | null;

  @Field(() => String, { nullable: true })
  familyName: string | null;

  @Field(() => String, { nullable: true })
  email: string | null;

  @Field(() => Boolean, { nullable: true })
  emailVerified: boolean | null;

  @Field(() => String, { nullable: true })
  picture: string | null;

  @Field(() => String, { nullable: true })
  locale: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The Workspace domain, for Workspace accounts.',
  })
  hostedDomain: string | null;
}

export function toGoogleProfile(userinfo: GoogleUserinfo): GoogleProfileModel {
  const text = (value: string | undefined) => (value === undefined || value === '' ? null : value);
  return {
    sub: userinfo.sub,
    name: text(userinfo.name),
    givenName: text(userinfo.given_name),
    familyName: text(userinfo.family_name),
    email: text(userinfo.email),
    emailVerified: userinfo.email_verified ?? null,
    picture: text(userinfo.picture),
    locale: text(userinfo.locale),
    hostedDomain: text(userinfo.hd),
  };
}
