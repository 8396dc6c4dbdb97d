import { describeRefreshInProcess } from './refresh-in-process.suite.js';

describeRefreshInProcess('postgres');
