import { describeApiTokens } from './api-tokens.suite.js';

describeApiTokens('sqlite');
