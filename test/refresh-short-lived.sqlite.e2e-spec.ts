import { describeShortLivedTokens } from './refresh-short-lived.suite.js';

describeShortLivedTokens('sqlite');
