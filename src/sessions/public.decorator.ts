import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tokenkeep:public';

/** Marks a GraphQL operation that needs no session; every other one does. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
