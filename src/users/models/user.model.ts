import { Field, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('User', { description: 'The signed-in person, keyed by their Google account.' })
export class UserModel {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true })
  email: string | null;

  @Field(() => String, { nullable: true })
  name: string | null;

  @Field(() => String, { nullable: true })
  picture: string | null;

  @Field()
  createdAt: Date;
}
