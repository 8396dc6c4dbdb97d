import { describeRefreshTokenBudget } from './refresh-token-budget.suite.js';

describeRefreshTokenBudget('sqlite');
