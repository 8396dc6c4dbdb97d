import { describeScopes } from './scopes.suite.js';

describeScopes('sqlite');
