import { Query, Resolver } from '@nestjs/graphql';
import { CurrentUser, type SessionUser } from '../sessions/current-user.decorator.js';
import { UserModel } from './models/user.model.js';

@Resolver(() => UserModel)
export class MeResolver {
  @Query(() => UserModel, { description: 'The signed-in user.' })
  me(@CurrentUser() caller: SessionUser): UserModel {
    // Read by the session guard with the session itself: no second query.
    return caller.user;
  }
}
