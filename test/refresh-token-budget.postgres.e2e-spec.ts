import { describeRefreshTokenBudget } from './refresh-token-budget.suite.js';

describeRefreshTokenBudget('postgres');
