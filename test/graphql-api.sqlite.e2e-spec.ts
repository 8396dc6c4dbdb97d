import { describeGraphqlApi } from './graphql-api.suite.js';

describeGraphqlApi('sqlite');
