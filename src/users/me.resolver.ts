import { Query, Resolver } from '@nestjs/graphql';
import { AppError, AppErrorCode } from '../common/app-error.js';
import { CurrentUser, type SessionUser } from '../sessions/current-user.decorator.js';
import { UserModel } from './models/user.model.js';
import { UsersService } from './users.service.js';

@Resolver(() => UserModel)
export class MeResolver {
  constructor(private readonly users: UsersService) {}

  @Query(() => UserModel, { description: 'The signed-in user.' })
  async me(@CurrentUser() caller: SessionUser): Promise<UserModel> {
    const user = await this.users.findById(caller.userId);
    if (!user)
      throw new AppError(AppErrorCode.Unauthenticated, 'The session belongs to a deleted user');
    return user;
  }
}
