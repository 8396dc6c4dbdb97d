import { describeScopes } from './scopes.suite.js';

describeScopes('postgres');
